import type { SyncReport } from '../contracts/sync-report.js'
import { count, humanDuration, textTable } from './text-table.js'
import type { WarehouseTable } from './warehouse-counts.js'

/** The month's MAR per table so far (this run included), as the warehouse holds it. */
export interface MonthMar {
  /** `'YYYY-MM'` (UTC). */
  readonly month: string
  /** Per source table: distinct rows active this month; `approximate` for a HyperLogLog estimate. */
  readonly tables: Readonly<Record<string, { readonly rows: number; readonly approximate: boolean }>>
}

/**
 * The summary `sluice debug` prints after a sync, as `fivetran debug` does: an `Operation | Calls`
 * table (rows upserted, updated, deleted; truncate calls; schema changes; checkpoints), then one
 * row per table with what this sync did and what the warehouse now holds, then status and speed.
 * With MAR metering, two MAR columns: `New MAR this run` (rows first active this month in this
 * sync, what it added to the bill) and `MAR <month>` (the month's total so far, from `monthMar`).
 *
 * @example
 * ```ts
 * import { formatSummary } from './summary.js'
 * import type { SyncReport } from '../contracts/sync-report.js'
 * declare const report: SyncReport
 * process.stdout.write(formatSummary(report, { orders: { rows: 10, deleted: 1 } }))
 * ```
 */
export function formatSummary(report: SyncReport, warehouse: Readonly<Record<string, WarehouseTable>> = {}, monthMar?: MonthMar): string {
  const tables = Object.entries(report.tables)
  const total = (key: 'upserts' | 'updates' | 'deletes' | 'truncates') => tables.reduce((sum, [, t]) => sum + t[key], 0)
  const operations = textTable(
    [{ header: 'Operation' }, { header: 'Calls', right: true }],
    [
      ['Upserts', count(total('upserts'))],
      ['Updates', count(total('updates'))],
      ['Deletes', count(total('deletes'))],
      ['Truncates', count(total('truncates'))],
      ['SchemaChanges', count(report.schemaChanges)],
      ['Checkpoints', count(report.checkpoints)],
    ],
  )

  const names = [...new Set([...tables.map(([name]) => name), ...Object.keys(warehouse)])].sort()
  const withMar = report.mar !== undefined
  const perTable =
    names.length === 0
      ? ''
      : '\n' +
        textTable(
          [
            { header: 'Table' },
            { header: 'Upserts', right: true },
            { header: 'Updates', right: true },
            { header: 'Deletes', right: true },
            { header: 'Truncates', right: true },
            ...(withMar ? [{ header: 'New MAR this run', right: true }] : []),
            ...(withMar && monthMar ? [{ header: `MAR ${monthMar.month}`, right: true }] : []),
            { header: 'Rows in warehouse', right: true },
            { header: 'Soft-deleted', right: true },
          ],
          names.map((name) => {
            const t = report.tables[name]
            const w = warehouse[name]
            return [
              name,
              count(t?.upserts ?? 0),
              count(t?.updates ?? 0),
              count(t?.deletes ?? 0),
              count(t?.truncates ?? 0),
              ...(withMar ? [count(report.mar?.[name] ?? 0)] : []),
              ...(withMar && monthMar ? [monthCell(monthMar.tables[name])] : []),
              w ? count(w.rows) : '-',
              w ? count(w.deleted) : '-',
            ]
          }),
        )

  const rate = report.durationMs > 0 && report.rows > 0 ? ` (${count((report.rows / report.durationMs) * 1000)} rows/s)` : ''
  const stopped = report.status === 'stopped' && report.stopReason ? ` (${report.stopReason})` : ''
  const skipped = report.errors ? ` · ${count(report.errors)} skipped (see _sluice_errors)` : ''
  const status = `\nStatus: ${report.status}${stopped} · ${count(report.rows)} rows in ${humanDuration(report.durationMs)}${rate}${skipped}\n`
  return operations + perTable + status
}

function monthCell(mar: { readonly rows: number; readonly approximate: boolean } | undefined): string {
  return mar ? `${mar.approximate ? '~' : ''}${count(mar.rows)}` : '-'
}

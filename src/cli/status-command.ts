import { marMonth } from '../mar/mar-month.js'
import type { ReplicationStatus } from '../contracts/sync-report.js'
import { createFacts } from '../serve/facts.js'
import { count, humanDuration, textTable } from './text-table.js'
import { locateWarehouse, noWarehouse, type WarehouseLocation } from './warehouse-location.js'
import { warehouseSink } from './warehouse-sink.js'

/**
 * `sluice status [dir | --warehouse file]`: one line per connector found in `dir/files/warehouse.db`
 * or in any warehouse file a sync wrote (`{ warehouse }`; SQLite or DuckDB, told apart by the
 * file's header) — its state
 * (`syncing` while another process holds its lease, `paused`, `failing`, `idle`), the last sync
 * (when, how it ended, rows, duration), how long ago the last success ended, this month's MAR
 * and the error of a failed last sync — read with the facts of `sluice serve` (src/serve/facts.ts);
 * under the table, for a change-data-capture connector (its last report has `replication`), the
 * slot, the position committed with the data, the lag behind the server and the WAL it retains.
 * Reads only. Resolves to the exit code: 0, or 1 when there is no warehouse yet.
 *
 * @example
 * ```ts
 * import { statusCommand } from './status-command.js'
 * process.exitCode = await statusCommand('my_connector', (text) => process.stdout.write(text))
 * ```
 */
export async function statusCommand(where: WarehouseLocation, out: (text: string) => void, now: number = Date.now()): Promise<number> {
  const warehouse = locateWarehouse(where)
  if (!warehouse.exists) {
    out(`${noWarehouse(warehouse)}\n`)
    return 1
  }
  const { path, format } = warehouse
  const sink = await warehouseSink(path, format)
  // The same facts as the page, the API and /metrics of `sluice serve`.
  // One warehouse: what can't be read is the command's error (strict), not a line left out.
  const { connectors } = await createFacts({ targets: [{ destination: sink, label: path }], now: () => now }).overview({ strict: true })
  if (connectors.length === 0) {
    out('No connector has synced into this warehouse yet\n')
    return 0
  }
  const month = marMonth(now)
  const rows: string[][] = []
  const errors: string[] = []
  const replication: string[] = []
  for (const c of connectors) {
    const last = c.lastSync
    rows.push([
      c.id,
      c.state + (c.late ? ' (late)' : ''),
      last ? last.endedAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '-',
      last ? `${last.status}${last.stopReason ? ` (${last.stopReason})` : ''}` : '-',
      last ? count(last.rows) : '-',
      last ? humanDuration(last.durationMs) : '-',
      c.freshnessLagMs !== undefined ? `${age(c.freshnessLagMs)} ago` : 'never',
      c.marThisMonth > 0 ? count(c.marThisMonth) : '-',
    ])
    if (last?.replication) replication.push(`${c.id}: ${replicationLine(last.replication)}`)
    if (last?.status === 'failed' && last.error) errors.push(`${c.id}: error [${last.error.code}]: ${last.error.message.split('\n')[0]}`)
  }
  out(
    textTable(
      [
        { header: 'Connector' }, { header: 'State' }, { header: 'Last sync' }, { header: 'Status' },
        { header: 'Rows', right: true }, { header: 'Took', right: true }, { header: 'Last success', right: true }, { header: `MAR ${month}`, right: true },
      ],
      rows,
    ) +
      (replication.length ? `\n${replication.join('\n')}\n` : '') +
      (errors.length ? `\n${errors.join('\n')}\n` : ''),
  )
  return 0
}

/** An age for people, to the largest unit: `45s`, `12m`, `5h 03m`, `3d 4h`. */
function age(ms: number): string {
  const s = Math.floor(ms / 1000)
  if (s < 60) return `${s}s`
  if (s < 3600) return `${Math.floor(s / 60)}m`
  if (s < 86_400) return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`
  return `${Math.floor(s / 86_400)}d ${Math.floor((s % 86_400) / 3600)}h`
}

/**
 * One connector's replication at its last sync, for people:
 * `slot sluice_shop at 0/16B3748, lag 56 B, retained WAL 1.2 MB (reserved)`.
 */
function replicationLine(r: ReplicationStatus): string {
  const where = r.kind === 'postgres-logical' ? `slot ${r.slot ?? '?'}` : 'binlog'
  const parts = [`${where} at ${r.position}`]
  if (r.lagBytes !== undefined) parts.push(`lag ${bytes(r.lagBytes)}`)
  else if (r.serverPosition !== undefined) parts.push(`server at ${r.serverPosition}`)
  if (r.retainedWalBytes !== undefined) parts.push(`retained WAL ${bytes(r.retainedWalBytes)}`)
  return parts.join(', ') + (r.walStatus ? ` (${r.walStatus})` : '')
}

/** Bytes for people: `56 B`, `12.3 kB`, `1.2 MB`, `3.4 GB` (powers of 1,000). */
function bytes(n: number): string {
  if (n < 1000) return `${n} B`
  const units = ['kB', 'MB', 'GB', 'TB']
  let value = n
  let unit = -1
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000
    unit++
  }
  return `${value.toFixed(1)} ${units[unit]}`
}

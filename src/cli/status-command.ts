import type { ConnectorStore } from '../contracts/connector-store.js'
import { marMonth } from '../mar/mar-month.js'
import type { MarStore } from '../contracts/mar-store.js'
import type { Sink } from '../contracts/sink.js'
import type { ReplicationStatus } from '../contracts/sync-report.js'
import { count, humanDuration, textTable } from './text-table.js'
import { warehouseConnectors } from './warehouse-connectors.js'
import { locateWarehouse, noWarehouse, type WarehouseLocation } from './warehouse-location.js'
import { warehouseSink } from './warehouse-sink.js'

/**
 * `sluice status [dir | --warehouse file]`: one line per connector found in `dir/files/warehouse.db`
 * or in any warehouse file a sync wrote (`{ warehouse }`; SQLite or DuckDB, told apart by the
 * file's header) — its state
 * (`syncing` while another process holds its lease, `paused`, `failing`, `idle`), the last sync
 * (when, how it ended, rows, duration), this month's MAR and the error of a failed last sync;
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
  const { ids, leased: leases } = await warehouseConnectors(path, format, now)
  if (ids.length === 0) {
    out('No connector has synced into this warehouse yet\n')
    return 0
  }
  const sink = (await warehouseSink(path, format)) as Sink & ConnectorStore & MarStore
  const month = marMonth(now)
  const mar = new Map<string, number>()
  for (const row of (await sink.readMar?.({ month })) ?? []) mar.set(row.connectorId, (mar.get(row.connectorId) ?? 0) + row.rows)
  const rows: string[][] = []
  const errors: string[] = []
  const replication: string[] = []
  for (const id of ids) {
    const [last] = (await sink.history?.({ connectorId: id, limit: 1 })) ?? []
    const paused = (await sink.loadConnector?.({ connectorId: id }))?.paused ?? false
    const state = leases.has(id) ? 'syncing' : paused ? 'paused' : last?.status === 'failed' ? 'failing' : 'idle'
    rows.push([
      id,
      state,
      last ? last.endedAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '-',
      last ? `${last.status}${last.stopReason ? ` (${last.stopReason})` : ''}` : '-',
      last ? count(last.rows) : '-',
      last ? humanDuration(last.durationMs) : '-',
      mar.has(id) ? count(mar.get(id)!) : '-',
    ])
    if (last?.replication) replication.push(`${id}: ${replicationLine(last.replication)}`)
    if (last?.status === 'failed' && last.error) errors.push(`${id}: error [${last.error.code}]: ${last.error.message.split('\n')[0]}`)
  }
  out(
    textTable(
      [
        { header: 'Connector' }, { header: 'State' }, { header: 'Last sync' }, { header: 'Status' },
        { header: 'Rows', right: true }, { header: 'Took', right: true }, { header: `MAR ${month}`, right: true },
      ],
      rows,
    ) +
      (replication.length ? `\n${replication.join('\n')}\n` : '') +
      (errors.length ? `\n${errors.join('\n')}\n` : ''),
  )
  return 0
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

import { marMonth } from '../mar/mar-month.js'
import type { Facts } from './facts.js'

/** How many finished syncs per connector the counters add up (the newest; older ones are left out). */
export const METRICS_HISTORY = 10_000

/** One metric family: its samples as label sets and values. */
interface Family {
  readonly name: string
  readonly type: 'counter' | 'gauge'
  readonly help: string
  readonly samples: { readonly labels: Readonly<Record<string, string>>; readonly value: number }[]
}

/**
 * `GET /metrics` in the Prometheus text format (0.0.4, which OpenMetrics scrapers read too):
 * per connector the syncs by outcome and their total duration (counters over the recorded
 * history), the last sync's duration, rows written per table and operation, MAR per table this
 * month, freshness lag, lateness, pause, errors recorded, the leases held now, and with a fleet
 * its workers per queue and the queues' jobs by state. Every value
 * comes from {@link Facts}, like the page and `sluice status`; no configuration value is a label.
 *
 * @example
 * ```ts
 * import { metricsText } from './metrics.js'
 * import type { Facts } from './facts.js'
 * declare const facts: Facts
 * const text = await metricsText(facts, Date.now())
 * ```
 */
export async function metricsText(facts: Facts, now: number): Promise<string> {
  const f = (name: string, type: Family['type'], help: string): Family => ({ name, type, help, samples: [] })
  const syncs = f('sluice_syncs_total', 'counter', 'Finished syncs by outcome (succeeded, failed, stopped).')
  const duration = f('sluice_sync_duration_seconds_total', 'counter', 'Time spent in finished syncs, by outcome.')
  const lastDuration = f('sluice_last_sync_duration_seconds', 'gauge', 'Duration of the last finished sync.')
  const rows = f('sluice_rows_written_total', 'counter', 'Rows written per table and operation (upsert, update, delete) by finished syncs.')
  const errors = f('sluice_sync_errors_total', 'counter', 'Rows recorded in _sluice_errors by finished syncs.')
  const mar = f('sluice_mar_rows', 'gauge', 'Monthly Active Rows per table this month (UTC).')
  const lag = f('sluice_freshness_lag_seconds', 'gauge', 'Time since the last successful sync ended.')
  const lastSuccess = f('sluice_last_success_timestamp_seconds', 'gauge', 'When the last successful sync ended (Unix time).')
  const late = f('sluice_connector_late', 'gauge', '1 when the data is older than 1.5 times the schedule interval.')
  const paused = f('sluice_connector_paused', 'gauge', '1 when the connector is paused.')
  const syncing = f('sluice_connector_syncing', 'gauge', '1 while a sync of the connector runs.')
  const leases = f('sluice_lease_held', 'gauge', 'Leases held now, by name and holder (value: seconds until it expires).')
  const workers = f('sluice_fleet_workers', 'gauge', 'Workers of the fleet taking jobs from each queue.')
  const queued = f('sluice_queue_jobs', 'gauge', 'Jobs in each fleet queue by state (waiting, active, delayed, failed, ...).')

  const overview = await facts.overview()
  const month = marMonth(now)
  for (const c of overview.connectors) {
    const connector = c.id
    const byStatus = new Map<string, { count: number; seconds: number }>()
    const perTable = new Map<string, number>()
    let recorded = 0
    for (const s of (await facts.syncs(connector, METRICS_HISTORY)) ?? []) {
      const entry = byStatus.get(s.status) ?? { count: 0, seconds: 0 }
      entry.count++
      entry.seconds += s.durationMs / 1000
      byStatus.set(s.status, entry)
      recorded += s.errors ?? 0
      for (const [table, counts] of Object.entries(s.tables)) {
        for (const [op, n] of [['upsert', counts.upserts], ['update', counts.updates], ['delete', counts.deletes]] as const) {
          const key = JSON.stringify([table, op])
          perTable.set(key, (perTable.get(key) ?? 0) + n)
        }
      }
    }
    for (const status of ['succeeded', 'failed', 'stopped']) {
      const entry = byStatus.get(status) ?? { count: 0, seconds: 0 }
      syncs.samples.push({ labels: { connector, status }, value: entry.count })
      duration.samples.push({ labels: { connector, status }, value: entry.seconds })
    }
    for (const [key, value] of perTable) {
      const [table, op] = JSON.parse(key) as [string, string]
      rows.samples.push({ labels: { connector, table, op }, value })
    }
    errors.samples.push({ labels: { connector }, value: recorded })
    if (c.lastSync) lastDuration.samples.push({ labels: { connector }, value: c.lastSync.durationMs / 1000 })
    for (const u of (await facts.mar(connector))?.usage ?? []) if (u.month === month) mar.samples.push({ labels: { connector, table: u.table, month }, value: u.rows })
    if (c.freshnessLagMs !== undefined) lag.samples.push({ labels: { connector }, value: c.freshnessLagMs / 1000 })
    if (c.lastSuccessAt) lastSuccess.samples.push({ labels: { connector }, value: Date.parse(c.lastSuccessAt) / 1000 })
    late.samples.push({ labels: { connector }, value: c.late ? 1 : 0 })
    paused.samples.push({ labels: { connector }, value: c.paused ? 1 : 0 })
    syncing.samples.push({ labels: { connector }, value: c.state === 'syncing' ? 1 : 0 })
  }
  if (overview.fleet) {
    const perQueue = new Map<string, number>()
    for (const queue of Object.keys(overview.fleet.queues)) perQueue.set(queue, 0)
    for (const w of overview.fleet.workers) perQueue.set(w.queue, (perQueue.get(w.queue) ?? 0) + 1)
    for (const [queue, n] of perQueue) workers.samples.push({ labels: { queue }, value: n })
    for (const [queue, counts] of Object.entries(overview.fleet.queues)) for (const [state, n] of Object.entries(counts)) queued.samples.push({ labels: { queue, state }, value: n })
  }
  for (const l of overview.leases) leases.samples.push({ labels: { name: l.name, holder: l.holder }, value: Math.max(0, (Date.parse(l.expiresAt) - now) / 1000) })

  return [syncs, duration, lastDuration, rows, errors, mar, lag, lastSuccess, late, paused, syncing, leases, ...(overview.fleet ? [workers, queued] : [])].map(familyText).join('')
}

function familyText(family: Family): string {
  let text = `# HELP ${family.name} ${family.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}\n# TYPE ${family.name} ${family.type}\n`
  for (const { labels, value } of family.samples) {
    const pairs = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`)
    text += `${family.name}${pairs.length ? `{${pairs.join(',')}}` : ''} ${formatValue(value)}\n`
  }
  return text
}

/**
 * A label value escaped as the text format says: backslash, double quote and line feed.
 *
 * @example
 * ```ts
 * import { escapeLabel } from './metrics.js'
 * escapeLabel('a "b"\n') // 'a \\"b\\"\\n'
 * ```
 */
export function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')
}

function formatValue(n: number): string {
  if (Number.isNaN(n)) return 'NaN'
  if (!Number.isFinite(n)) return n > 0 ? '+Inf' : '-Inf'
  return String(n)
}

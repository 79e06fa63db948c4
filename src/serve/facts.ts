import type { Connector } from '../connector/create-connector.js'
import { knownOptions } from '../core/check-option.js'
import type { LeaseHolder, MarThresholdFired, SyncErrorRow } from '../contracts/ops-reader.js'
import type { SchemaHistoryEntry, Sink, TableDescription } from '../contracts/sink.js'
import type { ReplicationStatus, SyncReport, TableCounts } from '../contracts/sync-report.js'
import type { MarOptions } from '../mar/mar-options.js'
import { marMonth } from '../mar/mar-month.js'
import { parseSchedule, type Schedule, type ScheduleSpec } from '../schedule/schedule.js'
import { isLate, scheduleIntervalMs } from './freshness.js'

/**
 * One place facts come from: a destination (read through its reader and store methods), with
 * optionally the {@link Connector} that syncs into it — then that connector can be synced, paused
 * and resumed — and its schedule and MAR budget, which a destination does not record.
 *
 * @example
 * ```ts
 * import type { FactsTarget } from 'sluice/serve'
 * import { sqlite } from 'sluice'
 * const target: FactsTarget = { destination: sqlite({ path: 'warehouse.db' }), label: 'warehouse.db' }
 * ```
 */
export interface FactsTarget {
  readonly destination: Sink
  /** What the page shows as the warehouse: a file name or `postgres schema x`, never a connection string. */
  readonly label: string
  readonly connector?: Connector
  /** The connector's schedule (for the next run, `sync_frequency` and lateness). */
  readonly schedule?: ScheduleSpec
  /** The connector's MAR options (for the budget line). */
  readonly mar?: MarOptions
  /** Values that must never leave the server (a connector's configuration values): replaced by `[redacted]` in every answer and metric. */
  readonly secrets?: readonly string[]
}

/** One finished sync as the page and the API show it. */
export interface SyncFacts {
  readonly syncId: string
  readonly status: SyncReport['status']
  readonly startedAt: string
  readonly endedAt: string
  readonly durationMs: number
  readonly rows: number
  /** Rows it recorded in `_sluice_errors`. */
  readonly errors?: number
  readonly stopReason?: string
  readonly error?: { readonly code: string; readonly message: string }
  readonly tables: Record<string, TableCounts>
  /** Where a change-data-capture connector's replication stood at the end of the sync. */
  readonly replication?: ReplicationStatus
}

/**
 * Everything known about one connector now, shared by the page, the REST API, `/metrics` and
 * `sluice status`.
 *
 * @example
 * ```ts
 * import type { ConnectorFacts } from 'sluice/serve'
 * const red = (c: ConnectorFacts) => c.late || c.state === 'failing'
 * ```
 */
export interface ConnectorFacts {
  readonly id: string
  readonly warehouse: string
  readonly state: 'idle' | 'syncing' | 'paused' | 'failing'
  readonly paused: boolean
  readonly schedule?: string
  /** Interval of the schedule in minutes (Fivetran's `sync_frequency`), rounded. */
  readonly syncFrequencyMinutes?: number
  readonly nextRunAt?: string
  readonly lastSuccessAt?: string
  readonly lastFailureAt?: string
  readonly freshnessLagMs?: number
  readonly late: boolean
  readonly marThisMonth: number
  readonly lastSync?: SyncFacts
  readonly canSync: boolean
}

/** The page's overview: every connector and every lease held now. */
export interface Overview {
  readonly generatedAt: string
  readonly connectors: ConnectorFacts[]
  readonly leases: LeaseHolder[]
}

/**
 * Reads the facts of every connector of `targets`: the one source of truth of `sluice serve`
 * (page, REST API, metrics) and `sluice status`. Reads only; syncs, pauses and resumes go through
 * {@link Facts.control}. A connector id found in two targets belongs to the first.
 *
 * @example
 * ```ts
 * import { createFacts } from 'sluice/serve'
 * import { sqlite } from 'sluice'
 * const facts = createFacts({ targets: [{ destination: sqlite({ path: 'warehouse.db' }), label: 'warehouse.db' }] })
 * const { connectors } = await facts.overview()
 * ```
 */
export function createFacts(options: { readonly targets: readonly FactsTarget[]; readonly now?: () => number }): Facts {
  knownOptions(options, { targets: true, now: true }, 'createFacts')
  for (const [i, t] of (options.targets ?? []).entries()) knownOptions(t, { destination: true, label: true, connector: true, schedule: true, mar: true, secrets: true }, `createFacts.targets[${i}]`)
  const now = options.now ?? Date.now
  const schedules = new Map<FactsTarget, Schedule>()
  for (const t of options.targets) if (t.schedule) schedules.set(t, parseSchedule(t.schedule, `${t.label}.schedule`))
  const running = new Map<string, Promise<unknown>>()

  const locate = async (): Promise<Map<string, FactsTarget>> => {
    const where = new Map<string, FactsTarget>()
    for (const target of options.targets) {
      const ids = (await target.destination.connectors?.()) ?? []
      if (target.connector && !ids.includes(target.connector.id)) ids.push(target.connector.id)
      for (const id of ids) if (!where.has(id) && !(id.includes('#') && ids.includes(id.slice(0, id.indexOf('#'))))) where.set(id, target)
    }
    return where
  }

  const factsOf = async (id: string, target: FactsTarget, leases: readonly LeaseHolder[], at: number): Promise<ConnectorFacts> => {
    const sink = target.destination
    const history = (await sink.history?.({ connectorId: id, limit: 100 })) ?? []
    const [last] = history
    const paused = (await sink.loadConnector?.({ connectorId: id }))?.paused ?? false
    const leased = leases.some((l) => l.name === `connector:${id}`)
    const control = target.connector?.id === id ? target.connector : undefined
    const status = control ? await control.status() : undefined
    const syncing = leased || running.has(id) || status?.state === 'syncing'
    const success = history.find((s) => s.status === 'succeeded')
    const failure = history.find((s) => s.status === 'failed')
    const schedule = control ? schedules.get(target) : undefined
    const intervalMs = schedule ? scheduleIntervalMs(schedule, at) : undefined
    const lastSuccess = success ? Date.parse(success.endedAt) : undefined
    const first = history.at(-1)
    const month = marMonth(at)
    const mar = ((await sink.readMar?.({ connectorId: id, month })) ?? []).reduce((sum, u) => sum + u.rows, 0)
    return {
      id,
      warehouse: target.label,
      state: syncing ? 'syncing' : paused ? 'paused' : last?.status === 'failed' ? 'failing' : 'idle',
      paused,
      ...(schedule ? { schedule: schedule.description, syncFrequencyMinutes: Math.max(1, Math.round(intervalMs! / 60_000)) } : {}),
      ...(status?.nextRunAt ? { nextRunAt: status.nextRunAt } : {}),
      ...(success ? { lastSuccessAt: success.endedAt } : {}),
      ...(failure ? { lastFailureAt: failure.endedAt } : {}),
      ...(lastSuccess !== undefined ? { freshnessLagMs: Math.max(0, at - lastSuccess) } : {}),
      late: isLate({ intervalMs, paused, now: at, ...(lastSuccess !== undefined ? { lastSuccessAt: lastSuccess } : {}), ...(first ? { firstSyncAt: Date.parse(first.startedAt) } : {}) }),
      marThisMonth: mar,
      ...(last ? { lastSync: syncFacts(last) } : {}),
      canSync: control !== undefined,
    }
  }

  const facts: Facts = {
    async overview() {
      const at = now()
      const where = await locate()
      const leases: LeaseHolder[] = []
      for (const target of new Set(where.values())) leases.push(...((await target.destination.leases?.({ now: at })) ?? []))
      const connectors: ConnectorFacts[] = []
      for (const [id, target] of [...where].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) connectors.push(await factsOf(id, target, leases, at))
      return { generatedAt: new Date(at).toISOString(), connectors, leases }
    },
    async connector(id) {
      const target = (await locate()).get(id)
      if (!target) return undefined
      const at = now()
      return factsOf(id, target, (await target.destination.leases?.({ now: at })) ?? [], at)
    },
    async syncs(id, limit = 50) {
      const target = (await locate()).get(id)
      return target ? ((await target.destination.history?.({ connectorId: id, limit })) ?? []).map(syncFacts) : undefined
    },
    async syncErrors(id, syncId) {
      const target = (await locate()).get(id)
      return target ? ((await target.destination.syncErrors?.({ connectorId: id, syncId })) ?? []) : undefined
    },
    async mar(id) {
      const target = (await locate()).get(id)
      if (!target) return undefined
      const usage = ((await target.destination.readMar?.({ connectorId: id })) ?? []).map(({ month, table, rows, approximate }) => ({ month, table, rows, approximate }))
      const thresholds = (await target.destination.marThresholds?.({ connectorId: id })) ?? []
      const budget = target.connector?.id === id ? target.mar?.budget : undefined
      return {
        usage,
        ...(budget ? { budget: { monthly: budget.monthly, warnAt: [...(budget.warnAt ?? [0.5, 0.8, 1])] } } : {}),
        thresholds: thresholds.map(({ month, threshold, rows, firedAt }) => ({ month, threshold, rows, firedAt })),
      }
    },
    async schemaChanges(id) {
      const target = (await locate()).get(id)
      if (!target) return undefined
      return ((await target.destination.schemaHistory?.()) ?? []).filter((e) => e.connectorId === id)
    },
    async tables(id) {
      const target = (await locate()).get(id)
      if (!target) return undefined
      const tables = (await target.destination.describe?.()) ?? []
      // The schema log says which connector created or changed a table; a destination without one shows every table.
      const own = new Set(((await target.destination.schemaHistory?.()) ?? []).filter((e) => e.connectorId === id).map((e) => e.table))
      return own.size === 0 ? tables : tables.filter((t) => own.has(t.table) || own.has(t.name))
    },
    control(id) {
      const target = options.targets.find((t) => t.connector?.id === id)
      const connector = target?.connector
      if (!connector) return undefined
      return {
        running: () => running.has(id),
        trigger() {
          const run = connector.sync().finally(() => running.delete(id))
          // The outcome lands in the destination's history; a throw (a bug, not a failed sync) must not crash the server.
          run.catch(() => {})
          running.set(id, run)
          return run
        },
        pause: () => connector.pause(),
        resume: () => connector.resume(),
      }
    },
  }
  return facts
}

/** What {@link createFacts} answers; `undefined` where the connector id is unknown. */
export interface Facts {
  overview(): Promise<Overview>
  connector(id: string): Promise<ConnectorFacts | undefined>
  /** Finished syncs, newest first. */
  syncs(id: string, limit?: number): Promise<SyncFacts[] | undefined>
  syncErrors(id: string, syncId: string): Promise<SyncErrorRow[] | undefined>
  mar(id: string): Promise<MarFacts | undefined>
  schemaChanges(id: string): Promise<SchemaHistoryEntry[] | undefined>
  /** The connector's tables in its destination: those its schema log names (every table where there is no log). */
  tables(id: string): Promise<TableDescription[] | undefined>
  /** Sync, pause and resume, for a connector given with its {@link Connector}; undefined for read-only ones. */
  control(id: string): ConnectorControl | undefined
}

/** MAR of one connector: every month and table, the budget and the thresholds that fired. */
export interface MarFacts {
  readonly usage: { readonly month: string; readonly table: string; readonly rows: number; readonly approximate: boolean }[]
  readonly budget?: { readonly monthly: number; readonly warnAt: number[] }
  readonly thresholds: Pick<MarThresholdFired, 'month' | 'threshold' | 'rows' | 'firedAt'>[]
}

/** What the server may do to a connector it was given with its {@link Connector}. */
export interface ConnectorControl {
  /** A sync started by {@link ConnectorControl.trigger} has not finished. */
  running(): boolean
  /** Starts a sync in the background; the promise settles when it ends. */
  trigger(): Promise<unknown>
  pause(): Promise<void>
  resume(): Promise<void>
}

function syncFacts(r: SyncReport): SyncFacts {
  return {
    syncId: r.syncId,
    status: r.status,
    startedAt: r.startedAt,
    endedAt: r.endedAt,
    durationMs: r.durationMs,
    rows: r.rows,
    ...(r.errors ? { errors: r.errors } : {}),
    ...(r.stopReason ? { stopReason: r.stopReason } : {}),
    ...(r.error ? { error: { code: r.error.code, message: r.error.message } } : {}),
    tables: r.tables,
    ...(r.replication ? { replication: r.replication } : {}),
  }
}

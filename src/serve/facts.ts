import type { Connector } from '../connector/create-connector.js'
import { knownOptions } from '../core/check-option.js'
import { isSluiceError } from '../core/sluice-error.js'
import type { LeaseHolder, SyncErrorRow } from '../contracts/ops-reader.js'
import type { SchemaHistoryEntry, Sink, TableDescription } from '../contracts/sink.js'
import type { MarOptions } from '../mar/mar-options.js'
import { marMonth } from '../mar/mar-month.js'
import { parseSchedule, type Schedule, type ScheduleSpec } from '../schedule/schedule.js'
import { syncFacts, type ConnectorFacts, type FleetFacts, type MarFacts, type Overview, type SyncFacts } from './connector-facts.js'
import { isLate, scheduleIntervalMs } from './freshness.js'

export type { ConnectorFacts, FleetFacts, MarFacts, Overview, SyncFacts } from './connector-facts.js'

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

/**
 * What {@link createFacts} reads: its targets, the time, and optionally a fleet (`sluice/bullmq`)
 * whose workers and queue depths the overview and `/metrics` show.
 *
 * @example
 * ```ts
 * import type { FactsOptions } from 'sluice/serve'
 * import { sqlite } from 'sluice'
 * const options: FactsOptions = { targets: [{ destination: sqlite({ path: 'warehouse.db' }), label: 'warehouse.db' }] }
 * ```
 */
export interface FactsOptions {
  readonly targets: readonly FactsTarget[]
  /** The time (ms since the epoch); tests pass a fixed one. */
  readonly now?: () => number
  /** A fleet made by `fleet(…)` of `sluice/bullmq`: read for its workers and queue depths. */
  readonly fleet?: FleetReader
}

/**
 * What the facts read of a fleet: its `status()` (a `Fleet` of `sluice/bullmq` is one), kept
 * structural so that `sluice/serve` loads nothing of BullMQ.
 *
 * @example
 * ```ts
 * import type { FleetReader } from 'sluice/serve'
 * const none: FleetReader = { status: async () => ({ workers: [], queues: {} }) }
 * ```
 */
export interface FleetReader {
  /** The fleet's workers and its queues' job counts by state. */
  status(): Promise<{
    readonly workers: readonly { readonly name: string; readonly queue: string; readonly idleSeconds?: number }[]
    readonly queues: Readonly<Record<string, Readonly<Record<string, number>>>>
  }>
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
export function createFacts(options: FactsOptions): Facts {
  knownOptions(options, { targets: true, now: true, fleet: true }, 'createFacts')
  for (const [i, t] of (options.targets ?? []).entries()) knownOptions(t, { destination: true, label: true, connector: true, schedule: true, mar: true, secrets: true }, `createFacts.targets[${i}]`)
  const now = options.now ?? Date.now
  const schedules = new Map<FactsTarget, Schedule>()
  for (const t of options.targets) if (t.schedule) schedules.set(t, parseSchedule(t.schedule, `${t.label}.schedule`))
  const running = new Map<string, Promise<unknown>>()

  /** Which target holds each connector id; a target that can't be read now is left out and listed in `unavailable`. */
  const locate = async (unavailable?: Map<FactsTarget, unknown>): Promise<Map<string, FactsTarget>> => {
    const where = new Map<string, FactsTarget>()
    for (const target of options.targets) {
      let ids: string[]
      try {
        ids = (await target.destination.connectors?.()) ?? []
      } catch (error) {
        // One locked or unreachable warehouse must not take the whole page down with it.
        if (!unavailable) throw error
        unavailable.set(target, error)
        continue
      }
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
    async overview(opts = {}) {
      const at = now()
      const failed = new Map<FactsTarget, unknown>()
      const where = await locate(opts.strict ? undefined : failed)
      const leases: LeaseHolder[] = []
      for (const target of new Set(where.values())) {
        try {
          leases.push(...((await target.destination.leases?.({ now: at })) ?? []))
        } catch (error) {
          if (opts.strict) throw error
          failed.set(target, error)
        }
      }
      const connectors: ConnectorFacts[] = []
      for (const [id, target] of [...where].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
        if (failed.has(target)) continue
        try {
          connectors.push(await factsOf(id, target, leases, at))
        } catch (error) {
          if (opts.strict) throw error
          failed.set(target, error)
        }
      }
      const unavailable = [...failed].map(([target, error]) => ({ warehouse: target.label, ...problem(error) }))
      let fleet: FleetFacts | undefined
      if (options.fleet) {
        try {
          const status = await options.fleet.status()
          // Worker addresses are left out: which hosts run the fleet is not the page's business.
          fleet = { workers: status.workers.map(({ name, queue, idleSeconds }) => ({ name, queue, ...(idleSeconds !== undefined ? { idleSeconds } : {}) })), queues: structuredClone(status.queues) as Record<string, Record<string, number>> }
        } catch (error) {
          if (opts.strict) throw error
          unavailable.push({ warehouse: 'fleet', ...problem(error) })
        }
      }
      return {
        generatedAt: new Date(at).toISOString(),
        connectors: connectors.filter((c) => !failed.has(where.get(c.id)!)),
        leases,
        ...(fleet ? { fleet } : {}),
        ...(unavailable.length ? { unavailable } : {}),
      }
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
  /**
   * Every connector's facts and the leases held now. A target that can't be read is listed in
   * `unavailable` and its connectors left out; with `strict`, its error is thrown instead.
   */
  overview(options?: { readonly strict?: boolean }): Promise<Overview>
  /** One connector's facts. */
  connector(id: string): Promise<ConnectorFacts | undefined>
  /** Finished syncs, newest first. */
  syncs(id: string, limit?: number): Promise<SyncFacts[] | undefined>
  /** The `_sluice_errors` rows of one sync. */
  syncErrors(id: string, syncId: string): Promise<SyncErrorRow[] | undefined>
  /** MAR per month and table, the budget and the thresholds that fired. */
  mar(id: string): Promise<MarFacts | undefined>
  /** The connector's schema change log. */
  schemaChanges(id: string): Promise<SchemaHistoryEntry[] | undefined>
  /** The connector's tables in its destination: those its schema log names (every table where there is no log). */
  tables(id: string): Promise<TableDescription[] | undefined>
  /** Sync, pause and resume, for a connector given with its {@link Connector}; undefined for read-only ones. */
  control(id: string): ConnectorControl | undefined
}

/** What the server may do to a connector it was given with its {@link Connector}. */
export interface ConnectorControl {
  /** A sync started by {@link ConnectorControl.trigger} has not finished. */
  running(): boolean
  /** Starts a sync in the background; the promise settles when it ends. */
  trigger(): Promise<unknown>
  /** Pauses the connector (persisted in its destination). */
  pause(): Promise<void>
  /** Lifts the pause. */
  resume(): Promise<void>
}

/** What went wrong reading a target, for the page: a sluice error's code and message; anything else only as INTERNAL, since a driver's message may name hosts or users. */
function problem(error: unknown): { code: string; message: string } {
  return isSluiceError(error) ? { code: error.code, message: error.message } : { code: 'INTERNAL', message: 'the warehouse could not be read; see the server log' }
}

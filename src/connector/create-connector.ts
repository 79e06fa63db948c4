import type { Duration } from '../core/duration.js'
import { SluiceError } from '../core/sluice-error.js'
import type { AlertEvent } from '../alert/alert.js'
import { FailureStreak } from '../alert/failure-streak.js'
import { redactFields } from '../log/redact-fields.js'
import { progressTracker } from '../log/progress-tracker.js'
import { runSchedule, type RunOutcome } from '../schedule/run-schedule.js'
import type { Sink } from '../contracts/sink.js'
import { sync } from '../sync/sync.js'
import type { SyncReport } from '../contracts/sync-report.js'
import { ConnectorEmitter, type ConnectorEvent, type ConnectorEventMap, type SkippedRun } from './connector-events.js'
import { resolveConnectorOptions, type ConnectorOptions } from './connector-options.js'
import type { ConnectorStore } from '../contracts/connector-store.js'
import { check } from '../check/check.js'
import { LeaseKeeper } from './lease-keeper.js'
import { knownOptions } from '../core/check-option.js'
import { checkPipe } from '../sync/check-sync-options.js'

/** What `connector.sync()` resolves to: the sync's report, or why it did not run. */
export type ConnectorRunResult = SyncReport | SkippedRun

/**
 * Where a connector stands: `syncing` (a sync runs in this process), `paused`, `failing` (the
 * last sync failed) or `idle`; the last sync, the next scheduled run, failures in a row.
 *
 * @example
 * ```ts
 * import type { ConnectorStatus } from 'sluice'
 * const line = (s: ConnectorStatus) => `${s.connectorId}: ${s.state}, next ${s.nextRunAt ?? 'not scheduled'}`
 * ```
 */
export interface ConnectorStatus {
  readonly connectorId: string
  readonly state: 'idle' | 'syncing' | 'paused' | 'failing'
  /** `start()` was called and `stop()` was not. */
  readonly scheduled: boolean
  readonly nextRunAt?: string
  readonly lastSync?: Pick<SyncReport, 'syncId' | 'status' | 'startedAt' | 'endedAt' | 'durationMs' | 'rows' | 'stopReason' | 'error' | 'mar'>
  readonly rowsLastSync?: number
  readonly failures: number
}

/**
 * A connector run as a service, made by {@link createConnector}.
 *
 * @example
 * ```ts
 * import type { Connector } from 'sluice'
 * const once = async (c: Connector) => c.sync()
 * ```
 */
export interface Connector {
  readonly id: string
  /** Runs one sync now, unless one runs already (here or in another process) or the connector is paused. */
  sync(options?: { readonly deadline?: Duration; readonly signal?: AbortSignal }): Promise<ConnectorRunResult>
  /** Its state (idle, syncing, paused, failing), last sync, next scheduled run and failures in a row. */
  status(): Promise<ConnectorStatus>
  /** Finished syncs, newest first, from `_sluice_syncs` (start, end, status, rows per table, MAR, error). */
  history(options?: { readonly limit?: number }): Promise<SyncReport[]>
  /** Persists the pause in the destination (it survives restarts) and stops a running sync at its next checkpoint. */
  pause(): Promise<void>
  /** Lifts a pause (in the destination too), so syncs run again. */
  resume(): Promise<void>
  /** Starts running syncs on the schedule (needs `schedule`). */
  start(): void
  /** Stops the schedule, stops a running sync at its next checkpoint, waits for both and flushes alerts. */
  stop(): Promise<void>
  /** Listens to one event; returns the function that stops listening. */
  on<E extends ConnectorEvent>(event: E, handler: (payload: ConnectorEventMap[E]) => void): () => void
}

/**
 * A long-running connector: `sync()` on demand or `start()` on a schedule (`every` / cron,
 * jitter, retry with backoff before the next slot, never overlapping), one sync at a time across
 * every process sharing the destination (a lease in `_sluice_leases`), pause/resume persisted in
 * the destination, MAR budgets, alerts once per failure streak and on recovery, structured logs
 * with secrets redacted, and events (`syncStart | syncComplete | syncError | schemaChange |
 * checkpoint | marThreshold | progress | syncSkipped`). Throws `CONFIG_INVALID` for bad options.
 *
 * Serverless: one invocation is one bounded run; everything that must outlive it — state, MAR,
 * history, lease, pause — lives in the destination, so build the connector per invocation and
 * give the sync a deadline under the platform's limit (it stops at a checkpoint in time and the
 * next invocation resumes there). Schedule the function with the platform's cron, not `start()`.
 *
 * @example
 * ```ts
 * import { createConnector, fromIterable, log, sqlite, webhook } from 'sluice'
 *
 * // A service: sync every 15 minutes, alert on failure streaks.
 * const connector = createConnector({
 *   id: 'shop',
 *   source: fromIterable('orders', [{ id: 1 }], { primaryKey: ['id'] }),
 *   destination: sqlite({ path: 'warehouse.db' }),
 *   schedule: { every: '15m', jitter: '30s' },
 *   mar: { budget: { monthly: 1_000_000, warnAt: [0.8, 1] }, onExceed: 'stop' },
 *   alerts: [webhook({ url: 'https://hooks.example.com/sluice' }), log()],
 * })
 * connector.on('syncComplete', (r) => console.log(r.rows))
 * connector.start()
 *
 * // Serverless (e.g. a function with a 60 s limit, triggered by the platform's scheduler):
 * export async function handler() {
 *   const c = createConnector({ id: 'shop', source: fromIterable('orders', [{ id: 1 }], { primaryKey: ['id'] }), destination: sqlite({ path: '/mnt/efs/warehouse.db' }) })
 *   const result = await c.sync({ deadline: '50s' })
 *   return result.status // 'succeeded' | 'stopped' (resumes next time) | 'failed' | 'skipped'
 * }
 * ```
 */
export function createConnector(options: ConnectorOptions): Connector {
  knownOptions(options, { id: true, source: true, destination: true, stages: true, schedule: true, mar: true, alerts: true, logger: true, redact: true, configuration: true, state: true, deadline: true, grace: true, lease: true, clock: true, random: true, check: true }, 'createConnector')
  knownOptions(options?.lease, { ttl: true }, 'createConnector.lease')
  if (typeof options === 'object' && options !== null) checkPipe(options, 'createConnector')
  const settings = resolveConnectorOptions(options)
  const { logger, clock } = settings
  const id = options.id
  const store = options.destination as Sink & ConnectorStore
  const events = new ConnectorEmitter(logger)
  const leases = new LeaseKeeper({ store, connectorId: id, ttlMs: settings.leaseTtlMs, clock, logger })
  const mar = settings.mar ? { ...settings.mar, clock: settings.mar.clock ?? clock } : undefined
  let running = false
  let current: AbortController | undefined
  let localPaused: boolean | undefined // the pause flag when the destination can't keep it, or until it is saved
  let lastReport: SyncReport | undefined
  let streak: FailureStreak | undefined
  let loop: { stop: AbortController; done: Promise<void> } | undefined
  let nextRunAt: number | undefined
  let checked = false // a check passed in this process (check: 'first' runs until one does)

  const skip = (reason: SkippedRun['reason'], message: string): SkippedRun => {
    const skipped: SkippedRun = { status: 'skipped', connectorId: id, reason, message }
    logger.info({ connector: id, reason }, message)
    events.emit('syncSkipped', skipped)
    return skipped
  }
  const readHistory = async (limit: number): Promise<SyncReport[]> => (store.history ? store.history({ connectorId: id, limit }) : lastReport ? [lastReport] : [])
  const isPaused = async () => localPaused ?? (await store.loadConnector?.({ connectorId: id }))?.paused ?? false
  const savePaused = async (paused: boolean) => {
    localPaused = paused
    // While a sync runs, its open transaction owns the connection: save once it ends.
    if (running || !store.saveConnector) return
    await store.saveConnector({ connectorId: id, paused })
    localPaused = undefined
  }
  const alert = (event: AlertEvent) => {
    const safe = redactFields(event, options.redact)
    for (const a of settings.alerts) {
      try {
        a.notify(safe)
      } catch (error) {
        logger.warn({ alert: a.name, error }, 'alert threw; ignored')
      }
    }
  }
  const finished = (report: SyncReport) => {
    lastReport = report
    const failures = streak!.failures
    const kind = streak!.record(report.status)
    const fields = { connector: id, syncId: report.syncId, status: report.status, rows: report.rows, durationMs: report.durationMs, ...(report.mar ? { mar: report.mar } : {}) }
    if (report.status === 'failed') logger.error({ ...fields, error: { code: report.error?.code, message: report.error?.message } }, 'sync failed')
    else logger.info({ ...fields, ...(report.stopReason ? { stopReason: report.stopReason } : {}) }, `sync ${report.status}`)
    if (!kind) return
    alert({
      type: kind, connector: id, at: report.endedAt, status: report.status, syncId: report.syncId, rows: report.rows,
      failures: kind === 'syncError' ? 1 : failures,
      ...(report.error ? { error: { code: report.error.code, message: report.error.message } } : {}),
      ...(report.mar ? { mar: report.mar } : {}),
    })
  }

  /** The checks before a sync: `undefined` when they passed, else the skipped run that reports them. */
  const checkBefore = async (signal: AbortSignal | undefined): Promise<SkippedRun | undefined> => {
    const report = await check({ source: options.source, destination: options.destination, ...(options.configuration ? { configuration: options.configuration } : {}), ...(signal ? { signal } : {}) })
    if (report.ok) {
      checked = true
      logger.info({ connector: id, checks: report.results.length }, 'connection checks passed')
      return undefined
    }
    const failed = report.results.filter((r) => !r.ok)
    const message = `connector ${id}: ${failed.length} connection check${failed.length === 1 ? '' : 's'} failed, no sync ran: ${failed.map((r) => `${r.name}: ${r.message}${r.hint ? ` (${r.hint})` : ''}`).join('; ')}`
    logger.error({ connector: id, code: 'CHECK_FAILED', checks: failed }, message)
    const skipped: SkippedRun = { status: 'skipped', connectorId: id, reason: 'CHECK_FAILED', message, checks: report.results }
    events.emit('syncSkipped', skipped)
    return skipped
  }

  const runOnce = async (deadline: Duration | undefined, signal: AbortSignal | undefined): Promise<ConnectorRunResult> => {
    if (running) return skip('ALREADY_RUNNING', `connector ${id} is already syncing in this process`)
    running = true
    try {
      if (await isPaused()) return skip('PAUSED', `connector ${id} is paused; resume() it to sync`)
      // Before the lease: a failed check holds nothing another process would wait for.
      if (settings.check === 'always' || (settings.check === 'first' && !checked)) {
        const failed = await checkBefore(signal)
        if (failed) return failed
      }
      const lease = await leases.acquire()
      if (!lease.acquired) {
        return skip('ALREADY_RUNNING', `connector ${id} is already syncing in another process (${lease.holder}, lease until ${new Date(lease.expiresAt).toISOString()})`)
      }
      streak ??= FailureStreak.fromHistory(await readHistory(50).catch(() => []))
      const abort = (current = new AbortController())
      const onOutside = () => abort.abort()
      signal?.addEventListener('abort', onOutside, { once: true })
      const release = leases.keep((by) => {
        logger.error({ connector: id, lease: leases.name, by }, 'lost the lease to another process; stopping at the next checkpoint')
        abort.abort()
      })
      const progress = progressTracker({ now: () => clock.now(), onProgress: (p) => events.emit('progress', { connectorId: id, ...p }) })
      let report: SyncReport
      try {
        report = await sync({
          source: options.source,
          destination: options.destination,
          stages: [...(options.stages ?? []), progress.stage],
          connectorId: id,
          signal: abort.signal,
          ...(options.configuration ? { configuration: options.configuration } : {}),
          ...(options.state ? { state: options.state } : {}),
          ...((deadline ?? options.deadline) !== undefined ? { deadline: (deadline ?? options.deadline)! } : {}),
          ...(options.grace !== undefined ? { grace: options.grace } : {}),
          ...(mar ? { mar } : {}),
          on: {
            syncStart: (e) => {
              logger.info({ connector: id, syncId: e.syncId }, 'sync started')
              events.emit('syncStart', e)
            },
            checkpoint: (e) => {
              progress.checkpoint(e)
              logger.debug({ connector: id, syncId: e.syncId, rows: e.rows }, 'checkpoint')
              events.emit('checkpoint', e)
            },
            schemaChange: (e) => events.emit('schemaChange', e),
            syncComplete: (r) => events.emit('syncComplete', r),
            syncError: (r) => events.emit('syncError', r),
            marThreshold: (e) => {
              logger.warn({ connector: id, month: e.month, threshold: e.threshold, rows: e.rows, budget: e.budget }, 'MAR budget threshold crossed')
              events.emit('marThreshold', e)
              alert({ type: 'marThreshold', connector: id, at: new Date(clock.now()).toISOString(), threshold: { month: e.month, fraction: e.threshold, budget: e.budget, rows: e.rows, approximate: e.approximate } })
            },
          },
        })
      } finally {
        signal?.removeEventListener('abort', onOutside)
        current = undefined
        await release()
      }
      finished(report)
      return report
    } finally {
      running = false
      if (localPaused !== undefined && store.saveConnector) await savePaused(localPaused).catch((error: unknown) => logger.warn({ connector: id, error }, 'could not save the pause flag'))
    }
  }

  return {
    id,
    sync: (opts = {}) => runOnce(opts.deadline, opts.signal),
    async status() {
      const paused = await isPaused()
      const last = lastReport ?? (await readHistory(1))[0]
      const state = running && current ? 'syncing' : paused ? 'paused' : last?.status === 'failed' ? 'failing' : 'idle'
      const failures = streak?.failures ?? FailureStreak.fromHistory(await readHistory(50)).failures
      return {
        connectorId: id, state, scheduled: loop !== undefined, failures,
        ...(nextRunAt !== undefined ? { nextRunAt: new Date(nextRunAt).toISOString() } : {}),
        ...(last ? { rowsLastSync: last.rows, lastSync: summary(last) } : {}),
      }
    },
    history: async (opts = {}) => {
      if (!store.history) throw new SluiceError({ code: 'HISTORY_UNAVAILABLE', message: `the ${store.name} destination keeps no sync history` })
      return store.history({ connectorId: id, limit: opts.limit ?? 20 })
    },
    async pause() {
      await savePaused(true)
      current?.abort()
      logger.info({ connector: id }, 'connector paused')
    },
    async resume() {
      await savePaused(false)
      logger.info({ connector: id }, 'connector resumed')
    },
    start() {
      if (!settings.schedule) throw new SluiceError({ code: 'CONFIG_INVALID', message: `connector ${id}: start() needs a schedule, e.g. createConnector({ schedule: { every: '15m' } })` })
      if (loop) return
      const stop = new AbortController()
      const schedule = settings.schedule
      const done = (async () => {
        const last = (await readHistory(1).catch(() => []))[0]
        await runSchedule({
          schedule, clock, logger, signal: stop.signal,
          ...(options.random ? { random: options.random } : {}),
          ...(last ? { lastRunAt: Date.parse(last.startedAt) } : {}),
          onNext: (at) => (nextRunAt = at),
          run: async (): Promise<RunOutcome> => {
            const result = await runOnce(undefined, stop.signal)
            if (result.status === 'skipped') return result.reason === 'CHECK_FAILED' ? 'failed' : 'skipped'
            return result.status === 'failed' ? 'failed' : 'succeeded'
          },
        })
      })()
      loop = { stop, done }
      logger.info({ connector: id, schedule: schedule.description }, 'schedule started')
    },
    async stop() {
      const l = loop
      loop = undefined
      l?.stop.abort()
      current?.abort()
      await l?.done
      for (const a of settings.alerts) {
        await a.flush().catch(() => {})
        await a.close?.().catch(() => {})
      }
    },
    on: (event, handler) => events.on(event, handler),
  }
}

function summary(r: SyncReport): NonNullable<ConnectorStatus['lastSync']> {
  return {
    syncId: r.syncId, status: r.status, startedAt: r.startedAt, endedAt: r.endedAt, durationMs: r.durationMs, rows: r.rows,
    ...(r.stopReason ? { stopReason: r.stopReason } : {}), ...(r.error ? { error: r.error } : {}), ...(r.mar ? { mar: r.mar } : {}),
  }
}

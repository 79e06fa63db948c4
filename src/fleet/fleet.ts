import type { Job, Queue, QueueEvents } from 'bullmq'
import { parseDuration, type Duration } from '../core/duration.js'
import { configInvalid, knownOptions } from '../core/check-option.js'
import { SluiceError } from '../core/sluice-error.js'
import type { SyncReport } from '../contracts/sync-report.js'
import { FailureStreak } from '../alert/failure-streak.js'
import type { FleetConnectorResolved } from './fleet-connector.js'
import { fleetKeys } from './fleet-keys.js'
import { PARTITION, RUN } from './queue-names.js'
import { openFleetBase, type FleetBaseOptions } from './fleet-base.js'
import type { FleetOutcome, PartitionJobData, RunJobData } from './run-job.js'

/**
 * Options of {@link fleet}.
 *
 * @example
 * ```ts
 * import type { FleetOptions } from 'sluice/bullmq'
 * declare const connectors: FleetOptions['connectors']
 * const options: FleetOptions = { connection: 'redis://127.0.0.1:6379', connectors, attempts: 5, apis: { shop: { requests: 10, per: '1s' } } }
 * ```
 */
export interface FleetOptions extends FleetBaseOptions {}

/**
 * A run enqueued by `fleet.sync`: its job id, and its outcome once a worker finished it.
 *
 * @example
 * ```ts
 * import type { FleetRunHandle } from 'sluice/bullmq'
 * const wait = async (run: FleetRunHandle) => (await run.finished()).status
 * ```
 */
export interface FleetRunHandle {
  readonly jobId: string
  /** Resolves when the run ended (a backfill: once every partition and the completion are done), with its outcome. */
  finished(options?: { readonly timeout?: Duration }): Promise<FleetOutcome>
}

/**
 * Where a fleet stands: its workers, its queues' depths, and per connector whether it is paused,
 * what runs now (partitions included), its last sync, failures in a row and next scheduled run.
 *
 * @example
 * ```ts
 * import type { FleetStatus } from 'sluice/bullmq'
 * const busy = (s: FleetStatus) => s.connectors.filter((c) => c.running.length > 0).map((c) => c.id)
 * ```
 */
export interface FleetStatus {
  readonly workers: readonly { readonly name: string; readonly queue: string; readonly address?: string; readonly idleSeconds?: number }[]
  readonly queues: Readonly<Record<string, Readonly<Record<string, number>>>>
  readonly connectors: readonly {
    readonly id: string
    readonly paused: boolean
    readonly running: readonly { readonly job: string; readonly kind: 'sync' | 'backfill' | 'partition'; readonly partition?: string; readonly worker?: string }[]
    readonly backfill?: { readonly job: string; readonly partitions: number; readonly done: number; readonly failed: number }
    readonly lastSync?: Pick<SyncReport, 'syncId' | 'status' | 'startedAt' | 'endedAt' | 'rows' | 'error'>
    readonly failures: number
    readonly nextRunAt?: string
    readonly schedule?: string
  }[]
}

/**
 * The control side of a fleet, made by {@link fleet}.
 *
 * @example
 * ```ts
 * import type { Fleet } from 'sluice/bullmq'
 * const runNow = async (f: Fleet) => (await f.sync('orders')).finished()
 * ```
 */
export interface Fleet {
  /** Creates (or updates) a BullMQ job scheduler per scheduled connector: each slot becomes one job, run by one worker. Idempotent: every process may call it. */
  start(): Promise<void>
  /** Enqueues a run of the connector now. */
  sync(connectorId: string): Promise<FleetRunHandle>
  /** Pauses the connector fleet-wide (persisted in its destination): new runs are skipped, running syncs stop at their next checkpoint. */
  pause(connectorId: string): Promise<void>
  /** Lifts a pause. */
  resume(connectorId: string): Promise<void>
  status(): Promise<FleetStatus>
  /** Finished syncs of the connector, newest first, from its destination (every worker's). */
  history(connectorId: string, options?: { readonly limit?: number }): Promise<SyncReport[]>
  /** Removes the job schedulers of these connectors (all of this fleet's when none are named). */
  unschedule(connectorIds?: readonly string[]): Promise<void>
  close(): Promise<void>
}

/** How often `finished` looks at its job without an event. */
const POLL_MS = 200

/**
 * A fleet of sluice connectors on BullMQ (Redis): schedules become BullMQ job schedulers, runs
 * become jobs that any number of {@link runWorker} processes take; a backfill a source can split
 * runs as a flow of partition jobs completed by their parent; pause, resume, status and history
 * work across the fleet. Every connector's state, history, MAR and pause flag live in its
 * destination (Postgres, shared by the workers); Redis holds the queues. Throws `CONFIG_INVALID`
 * for bad options.
 *
 * @example
 * ```ts
 * import { idCursor } from 'sluice'
 * import { postgres } from 'sluice/postgres'
 * import { fleet } from 'sluice/bullmq'
 * const f = await fleet({
 *   connection: 'redis://127.0.0.1:6379',
 *   connectors: [{ id: 'orders', source: idCursor({ table: 'orders', fetch: async () => [] }), destination: postgres({ connection: 'postgres://localhost/warehouse' }), schedule: { every: '15m' } }],
 * })
 * await f.start()
 * const outcome = await (await f.sync('orders')).finished()
 * ```
 */
export async function fleet(options: FleetOptions): Promise<Fleet> {
  const where = 'fleet'
  knownOptions(options, { connection: true, connectors: true, prefix: true, attempts: true, backoff: true, apis: true }, where)
  const base = await openFleetBase(options, where, () => {})
  const { bull, redis, connectors, attempts, backoffMs, queueOf, queues, connection, prefix } = base
  const keys = fleetKeys(base.prefix)
  for (const c of connectors.values()) queueOf(c.api)
  const connector = (id: string): FleetConnectorResolved => {
    const c = connectors.get(id)
    if (!c) throw configInvalid('connectorId', `one of the fleet's connectors (${[...connectors.keys()].join(', ')})`, id)
    return c
  }
  const jobOptions = { attempts, backoff: { type: 'exponential', delay: backoffMs }, removeOnComplete: { age: 7 * 86_400, count: 1000 }, removeOnFail: { age: 30 * 86_400, count: 1000 } }
  const schedulerId = (id: string) => `schedule.${id}`

  // `finished` looks at its job when BullMQ's event stream says a job ended (QueueEvents, one per
  // queue, opened on first use) and at least every POLL_MS (the events may be missed while Redis restarts).
  const events = new Map<string, QueueEvents>()
  const waiting = new Map<string, Set<() => void>>()
  const ended = (queue: Queue, jobId: string): { readonly next: Promise<void>; cancel(): void } => {
    if (!events.has(queue.name)) {
      const qe = new bull.QueueEvents(queue.name, { connection, prefix })
      qe.on('error', () => {}) // it reconnects; meanwhile the poll goes on
      const wake = ({ jobId: id }: { jobId: string }) => waiting.get(`${queue.name}\u0000${id}`)?.forEach((f) => f())
      qe.on('completed', wake)
      qe.on('failed', wake)
      events.set(queue.name, qe)
    }
    const key = `${queue.name}\u0000${jobId}`
    let wake!: () => void
    let timer: NodeJS.Timeout | undefined
    const next = new Promise<void>((resolve) => {
      wake = resolve
      timer = setTimeout(resolve, POLL_MS)
    })
    let set = waiting.get(key)
    if (!set) waiting.set(key, (set = new Set()))
    set.add(wake)
    return {
      next,
      cancel() {
        clearTimeout(timer)
        set.delete(wake)
        if (set.size === 0) waiting.delete(key)
      },
    }
  }

  const finished = (queue: Queue, jobId: string) => async (opts: { readonly timeout?: Duration } = {}): Promise<FleetOutcome> => {
    const deadline = opts.timeout === undefined ? Infinity : Date.now() + parseDuration(opts.timeout, 'finished.timeout')
    for (;;) {
      // Listening before looking: an end between the look and the wait still wakes it.
      const end = ended(queue, jobId)
      try {
        const outcome = await lookAt(queue, jobId)
        if (outcome) return outcome
        if (Date.now() > deadline) throw new SluiceError({ code: 'ABORTED', message: `fleet run ${jobId} did not finish within ${String(opts.timeout)}` })
        await end.next
      } finally {
        end.cancel()
      }
    }
  }

  /** The run's outcome if it ended, else undefined. */
  const lookAt = async (queue: Queue, jobId: string): Promise<FleetOutcome | undefined> => {
    // Redis may be restarting: what it cannot answer is "not yet" (finished asks again until its deadline).
    const job = await bull.Job.fromId(queue, jobId).catch(() => undefined)
    if (job) {
      const state = await job.getState().catch(() => 'unknown')
      // The job was read before its state: read it again for what it ended with.
      const done = state === 'completed' || state === 'failed' ? await bull.Job.fromId(queue, jobId).catch(() => undefined) : undefined
      if (state === 'completed' && done?.returnvalue) return done.returnvalue as FleetOutcome
      // A job waiting for its next attempt is delayed or waiting, not failed: failed is final.
      if (state === 'failed' && done) {
        const data = done.data as RunJobData
        const reason = done.failedReason ?? 'FAILED: the run failed'
        const [code, ...rest] = reason.split(': ')
        const coded = /^[A-Z_]+$/.test(code!)
        return { status: 'failed', connectorId: data.connectorId, partitions: data.plan?.partitions.length ?? 0, rows: 0, error: { code: coded ? code! : /\bchild\b/.test(reason) ? 'PARTITION_FAILED' : 'SOURCE_FAILED', message: coded ? rest.join(': ') : reason } }
      }
    }
    return undefined
  }

  return {
    async start() {
      for (const c of connectors.values()) {
        const queue = queueOf(c.api)
        if (!c.schedule) {
          await queue.removeJobScheduler(schedulerId(c.id))
          continue
        }
        const repeat = 'every' in c.schedule ? { every: parseDuration(c.schedule.every, `connector ${c.id} schedule.every`) } : { pattern: c.schedule.cron, tz: c.schedule.tz ?? 'UTC' }
        await queue.upsertJobScheduler(schedulerId(c.id), repeat, { name: RUN, data: { connectorId: c.id, trigger: 'schedule' } satisfies RunJobData, opts: jobOptions })
      }
    },
    async sync(connectorId) {
      const c = connector(connectorId)
      const queue = queueOf(c.api)
      const job = await queue.add(RUN, { connectorId: c.id, trigger: 'manual' } satisfies RunJobData, jobOptions)
      return { jobId: job.id!, finished: finished(queue, job.id!) }
    },
    async pause(connectorId) {
      const c = connector(connectorId)
      if (!c.sink.saveConnector) throw new SluiceError({ code: 'CONFIG_INVALID', message: `the ${c.sink.name} destination of connector ${c.id} keeps no pause flag (saveConnector)` })
      await c.sink.saveConnector({ connectorId: c.id, paused: true })
      await redis.set(keys.paused(c.id), '1')
    },
    async resume(connectorId) {
      const c = connector(connectorId)
      await c.sink.saveConnector?.({ connectorId: c.id, paused: false })
      await redis.del(keys.paused(c.id))
    },
    async status() {
      const workers: FleetStatus['workers'][number][] = []
      const depth: Record<string, Record<string, number>> = {}
      const active: Job[] = []
      for (const [name, queue] of queues) {
        depth[name] = await queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed', 'waiting-children', 'prioritized')
        for (const w of await queue.getWorkers()) {
          const client = w as Record<string, string>
          // BullMQ names a worker's connection `<prefix>:<queue, base64>:w:<worker name>`.
          const raw = client.rawname ?? client.name ?? '?'
          const at = raw.indexOf(':w:')
          workers.push({ name: at >= 0 ? raw.slice(at + 3) : raw, queue: name, ...(client.addr ? { address: client.addr } : {}), ...(client.idle ? { idleSeconds: Number(client.idle) } : {}) })
        }
        active.push(...(await queue.getActive()) as Job[])
      }
      const out: FleetStatus['connectors'][number][] = []
      for (const c of connectors.values()) {
        const history = c.sink.history ? await c.sink.history({ connectorId: c.id, limit: 50 }).catch(() => []) : []
        const last = history[0]
        const paused = (await c.sink.loadConnector?.({ connectorId: c.id }))?.paused ?? false
        const running = active
          .filter((j) => (j.data as { connectorId?: string }).connectorId === c.id)
          .map((j) => ({
            job: j.id!,
            kind: j.name === PARTITION ? ('partition' as const) : (j.data as RunJobData).step === 'children' ? ('backfill' as const) : ('sync' as const),
            ...(j.name === PARTITION ? { partition: (j.data as PartitionJobData).partition.key } : {}),
            ...(j.processedBy ? { worker: j.processedBy } : {}),
          }))
        let backfill: FleetStatus['connectors'][number]['backfill']
        const backfillJob = await redis.get(keys.run(c.id))
        if (backfillJob) {
          const job = await bull.Job.fromId(queueOf(c.api), backfillJob)
          if (job && (job.data as RunJobData).step === 'children') {
            const deps = await job.getDependenciesCount()
            const partitions = (job.data as RunJobData).plan?.partitions.length ?? 0
            backfill = { job: backfillJob, partitions, done: deps.processed ?? 0, failed: (deps as { failed?: number; ignored?: number }).ignored ?? (deps as { failed?: number }).failed ?? 0 }
          }
        }
        let nextRunAt: string | undefined
        if (c.schedule) {
          const scheduler = await queueOf(c.api).getJobScheduler(schedulerId(c.id))
          if (scheduler?.next) nextRunAt = new Date(scheduler.next).toISOString()
        }
        out.push({
          id: c.id, paused, running, failures: FailureStreak.fromHistory(history).failures,
          ...(backfill ? { backfill } : {}),
          ...(last ? { lastSync: { syncId: last.syncId, status: last.status, startedAt: last.startedAt, endedAt: last.endedAt, rows: last.rows, ...(last.error ? { error: last.error } : {}) } } : {}),
          ...(nextRunAt ? { nextRunAt } : {}),
          ...(c.schedule ? { schedule: 'every' in c.schedule ? `every ${String(c.schedule.every)}` : `cron ${c.schedule.cron}` } : {}),
        })
      }
      return { workers, queues: depth, connectors: out }
    },
    async history(connectorId, opts = {}) {
      const c = connector(connectorId)
      if (!c.sink.history) throw new SluiceError({ code: 'HISTORY_UNAVAILABLE', message: `the ${c.sink.name} destination keeps no sync history` })
      return c.sink.history({ connectorId: c.id, limit: opts.limit ?? 20 })
    },
    async unschedule(ids) {
      for (const id of ids ?? [...connectors.keys()]) {
        const c = connector(id)
        await queueOf(c.api).removeJobScheduler(schedulerId(c.id))
      }
    },
    async close() {
      await Promise.all([...events.values()].map((qe) => qe.close().catch(() => {})))
      await base.close()
    },
  }
}

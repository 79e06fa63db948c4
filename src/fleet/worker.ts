import { hostname } from 'node:os'
import { randomUUID } from 'node:crypto'
import type { Worker } from 'bullmq'
import { parseDuration, type Duration } from '../core/duration.js'
import { configInvalid, knownOptions, positiveInteger } from '../core/check-option.js'
import { jsonLogger } from '../log/json-logger.js'
import type { Logger } from '../log/logger.js'
import type { FleetConnectorResolved } from './fleet-connector.js'
import { fleetKeys } from './fleet-keys.js'
import { queueName } from './queue-names.js'
import { processJob, type JobContext } from './run-job.js'
import { openFleetBase, type FleetBaseOptions } from './fleet-base.js'
import { bindApiRateLimit } from './api-rate-limit.js'

/**
 * Options of {@link runWorker}. `connectors` are the same definitions the fleet registers (every
 * worker gets all of them, or at least those of the APIs it serves).
 *
 * @example
 * ```ts
 * import type { WorkerOptions } from 'sluice/bullmq'
 * declare const connectors: WorkerOptions['connectors']
 * const options: WorkerOptions = { connection: 'redis://127.0.0.1:6379', connectors, concurrency: 2 }
 * ```
 */
export interface WorkerOptions extends FleetBaseOptions {
  /** Jobs run at once per queue (default 1). Syncs wait on APIs, so a few per process are fine. */
  readonly concurrency?: number
  /** How long a job's lock lasts unless renewed (default '30s'): a worker killed or frozen longer loses its job to another. */
  readonly lockDuration?: Duration
  /** How often stalled jobs are looked for (default: lockDuration). */
  readonly stalledInterval?: Duration
  /** How many times a job may stall (its worker died) before it fails (default 20). */
  readonly maxStalledCount?: number
  /** The worker's name in status (default host:pid:random). */
  readonly name?: string
  /** Worker-level logs (default JSON lines on stderr); syncs log to their connector's logger. */
  readonly logger?: Logger
}

/**
 * A running fleet worker, made by {@link runWorker}.
 *
 * @example
 * ```ts
 * import type { FleetWorker } from 'sluice/bullmq'
 * const stop = (w: FleetWorker) => process.once('SIGTERM', () => void w.close())
 * ```
 */
export interface FleetWorker {
  readonly name: string
  /** Graceful stop: running syncs stop at their next checkpoint and their jobs go back to the queue, then the worker disconnects. */
  close(): Promise<void>
}

/**
 * Starts a fleet worker: takes jobs from the fleet's queues in Redis (BullMQ) and runs them —
 * a connector's sync (fenced, one at a time per connector across the fleet), a backfill's plan
 * (its partitions become child jobs), a partition (its own fenced sync), a backfill's completion.
 * Run any number of them, on any number of machines; a worker that dies loses its job's lock and
 * another takes it over, resuming at the last committed checkpoint, while the fence rejects any
 * commit the old one still tries. Throws `CONFIG_INVALID` for bad options.
 *
 * @example
 * ```ts
 * import { idCursor } from 'sluice'
 * import { postgres } from 'sluice/postgres'
 * import { runWorker } from 'sluice/bullmq'
 * const worker = await runWorker({
 *   connection: 'redis://127.0.0.1:6379',
 *   connectors: [{ id: 'orders', source: idCursor({ table: 'orders', fetch: async () => [] }), destination: postgres({ connection: 'postgres://localhost/warehouse' }) }],
 * })
 * process.once('SIGTERM', () => void worker.close())
 * ```
 */
export async function runWorker(options: WorkerOptions): Promise<FleetWorker> {
  const where = 'runWorker'
  knownOptions(options, { connection: true, connectors: true, prefix: true, concurrency: true, lockDuration: true, stalledInterval: true, maxStalledCount: true, attempts: true, backoff: true, apis: true, name: true, logger: true }, where)
  const concurrency = options.concurrency === undefined ? 1 : positiveInteger(`${where}.concurrency`, options.concurrency)
  const lockDuration = parseDuration(options.lockDuration ?? '30s', `${where}.lockDuration`)
  if (lockDuration < 1000) throw configInvalid(`${where}.lockDuration`, 'at least 1 s', options.lockDuration)
  const stalledInterval = options.stalledInterval === undefined ? lockDuration : parseDuration(options.stalledInterval, `${where}.stalledInterval`)
  const maxStalledCount = options.maxStalledCount === undefined ? 20 : positiveInteger(`${where}.maxStalledCount`, options.maxStalledCount)
  if (options.name !== undefined && (typeof options.name !== 'string' || !/^[A-Za-z0-9_.:-]{1,100}$/.test(options.name))) throw configInvalid(`${where}.name`, 'letters, digits, _ . : - (at most 100)', options.name)
  const name = options.name ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 6)}`
  const logger = options.logger ?? jsonLogger()

  const base = await openFleetBase(options, where, (queue, error) => logger.warn({ queue, error: error.message }, 'queue connection error'))
  const { bull, redis, connectors, attempts, backoffMs, queueOf, prefix, connection, apis } = base
  let closing = false
  const running: JobContext['running'] = new Map()
  const ctx: JobContext = {
    bull, connectors, redis, prefix, attempts, backoffMs, requeueMs: 1000, running,
    queueFor: (c: FleetConnectorResolved) => queueOf(c.api),
    closing: () => closing,
  }
  const processor = processJob(ctx)
  const workers: Worker[] = []
  for (const api of new Set([...connectors.values()].map((c) => c.api))) {
    const q = queueName(api)
    const jobs = api === undefined ? undefined : apis.get(api)?.jobs
    const worker = new bull.Worker(q, processor, {
      connection, prefix, concurrency, lockDuration, stalledInterval, maxStalledCount, name,
      ...(jobs ? { limiter: { max: jobs.max, duration: jobs.duration } } : {}),
    })
    worker.on('error', (error) => logger.warn({ worker: name, queue: q, error: error.message }, 'worker connection error'))
    worker.on('failed', (job, error) => logger.warn({ worker: name, queue: q, job: job?.id, name: job?.name, attempts: job?.attemptsMade, error: error.message }, 'job failed'))
    workers.push(worker)
  }
  // Each API's request quota, shared through Redis by every worker (see apiRateLimit).
  const owner = {}
  const unbind = [...apis].filter(([, l]) => l.requests).map(([api, l]) =>
    bindApiRateLimit(api, { owner, redis, key: fleetKeys(prefix).api(api), max: l.requests!.max, perMs: l.requests!.perMs, queue: queueOf(api) }),
  )
  // A pause anywhere in the fleet stops this worker's syncs of that connector at their next checkpoint.
  const keys = fleetKeys(prefix)
  const poll = setInterval(() => {
    const entries = [...running.values()]
    if (entries.length === 0) return
    redis.mget(entries.map((e) => keys.paused(e.connectorId))).then(
      (flags) => flags.forEach((flag, i) => flag && entries[i]!.abort.abort()),
      () => {},
    )
  }, 1000)
  poll.unref()
  logger.info({ worker: name, queues: workers.map((w) => w.name), connectors: [...connectors.keys()], concurrency }, 'fleet worker started')

  let closed: Promise<void> | undefined
  return {
    name,
    close() {
      closed ??= (async () => {
        closing = true
        clearInterval(poll)
        for (const u of unbind) u()
        for (const r of running.values()) r.abort.abort()
        await Promise.all(workers.map((w) => w.close()))
        await base.close()
        logger.info({ worker: name }, 'fleet worker stopped')
      })()
      return closed
    },
  }
}

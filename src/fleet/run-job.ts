import type { Job, Queue } from 'bullmq'
import type { Redis } from 'ioredis'
import type { Partition, PartitionPlan } from '../contracts/partition.js'
import type { SyncReport } from '../contracts/sync-report.js'
import type { State } from '../core/message.js'
import { SluiceError } from '../core/sluice-error.js'
import { sync } from '../sync/sync.js'
import { syncCatalog } from '../sync/sync-catalog.js'
import { alertOnOutcome } from './fleet-alerts.js'
import { completionSource } from './completion-source.js'
import type { FleetConnectorResolved } from './fleet-connector.js'
import { PARTITION, partitionConnectorId, partitionJobId } from './queue-names.js'
import type { BullMQ } from './redis-connection.js'
import { fleetKeys } from './fleet-keys.js'
import { withSink } from './sink-turns.js'
import { bullmqSignal } from './bullmq-signal.js'

/** What a run job carries: the connector, why it runs, and once planned, its backfill. */
export interface RunJobData {
  readonly connectorId: string
  readonly trigger: 'manual' | 'schedule'
  /** Set once a backfill's partitions were enqueued: the job then waits for them and completes it. */
  readonly step?: 'children'
  readonly plan?: { readonly partitions: readonly Partition[]; readonly complete: State }
}

/** What a partition job carries. */
export interface PartitionJobData {
  readonly connectorId: string
  readonly partition: Partition
}

/**
 * What a fleet run ends with (a job's return value, and what `FleetRunHandle.finished` resolves to).
 *
 * @example
 * ```ts
 * import type { FleetOutcome } from 'sluice/bullmq'
 * const line = (o: FleetOutcome) => `${o.connectorId}: ${o.status}, ${o.rows} rows in ${o.partitions} partitions`
 * ```
 */
export interface FleetOutcome {
  readonly status: 'succeeded' | 'failed' | 'stopped' | 'skipped'
  readonly connectorId: string
  /** Partitions of the backfill (0 for a sync run as one job). */
  readonly partitions: number
  readonly rows: number
  readonly syncId?: string
  /** Why it was skipped (`PAUSED`, `ALREADY_RUNNING`). */
  readonly reason?: string
  readonly message?: string
  readonly error?: { readonly code: string; readonly message: string }
}

/** Everything a worker's processors share. */
export interface JobContext {
  readonly bull: BullMQ
  readonly connectors: ReadonlyMap<string, FleetConnectorResolved>
  readonly queueFor: (c: FleetConnectorResolved) => Queue
  readonly redis: Redis
  readonly prefix: string
  readonly attempts: number
  readonly backoffMs: number
  /** How long a paused or stopped partition waits before it is looked at again. */
  readonly requeueMs: number
  /** Aborts of the syncs running in this worker, by job id (pause polling and shutdown use them). */
  readonly running: Map<string, { readonly connectorId: string; readonly abort: AbortController }>
  readonly closing: () => boolean
}

/** The BullMQ processor of a fleet worker: runs (plain syncs, backfill plans and completions) and partitions. */
export function processJob(ctx: JobContext) {
  return async (job: Job, token?: string): Promise<FleetOutcome | PartitionResult> => {
    const c = ctx.connectors.get((job.data as { connectorId?: string }).connectorId ?? '')
    if (!c) {
      bullmqSignal(ctx.bull, 'UnrecoverableError', `this worker has no connector ${JSON.stringify((job.data as { connectorId?: string }).connectorId)}: every worker must be given every connector the fleet schedules`)
    }
    if (job.name === PARTITION) return runPartition(ctx, c, job as Job<PartitionJobData>, token!)
    return runConnector(ctx, c, job as Job<RunJobData>, token!)
  }
}

async function isPaused(c: FleetConnectorResolved): Promise<boolean> {
  return (await c.sink.loadConnector?.({ connectorId: c.id }))?.paused ?? false
}

function skipped(c: FleetConnectorResolved, reason: string, message: string): FleetOutcome {
  c.logger.info({ connector: c.id, reason }, message)
  return { status: 'skipped', connectorId: c.id, partitions: 0, rows: 0, reason, message }
}

async function runConnector(ctx: JobContext, c: FleetConnectorResolved, job: Job<RunJobData>, token: string): Promise<FleetOutcome> {
  if (job.data.step === 'children') return completeBackfill(ctx, c, job, token)
  if (await isPaused(c)) return skipped(c, 'PAUSED', `connector ${c.id} is paused; resume it to sync`)
  if (job.data.trigger === 'schedule' && c.jitterMs > 0) await c.clock.sleep(Math.floor((c.options.random ?? Math.random)() * c.jitterMs))
  const holder = await claimConnector(ctx, c, job.id!)
  if (holder) return skipped(c, 'ALREADY_RUNNING', `connector ${c.id} is already running in the fleet (job ${holder})`)
  let keepClaim = false
  try {
    const plan = await planBackfill(c)
    if (plan) {
      const catalog = await syncCatalog(c.source, c.options.stages ?? [], c.options.configuration ?? {})
      const replace = catalog.destinationTables.filter((t) => t.mode === 'replace').map((t) => t.table)
      // The backfill's start: replace-mode tables get their truncate now, applied when it completes.
      await withSink(c.sink, () => c.sink.fence!({ connectorId: c.id, ...(replace.length ? { truncate: replace } : {}) }))
      const data: RunJobData = { ...job.data, step: 'children', plan: { partitions: plan.partitions, complete: plan.complete } }
      await job.updateData(data)
      c.logger.info({ connector: c.id, partitions: plan.partitions.length, job: job.id }, 'backfill split into partitions')
      // The claim stays while the partitions run (this job waits for them); the completion releases it.
      keepClaim = true
      return await completeBackfill(ctx, c, job, token)
    }
    return await plainSync(ctx, c, job, token)
  } finally {
    if (!keepClaim) await releaseConnector(ctx, c, job.id!)
  }
}

/** Takes the connector for this run job; a take-over only if the holder (job) is no longer queued or running. */
const SWAP = "if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('SET', KEYS[1], ARGV[2]) return 1 end return 0"
const RELEASE = "if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) return 1 end return 0"
const LIVE = new Set(['active', 'waiting', 'waiting-children', 'delayed', 'prioritized'])

/**
 * One run of a connector at a time across the fleet: a run job claims the connector in Redis
 * (`run:<id>` = its job id) and keeps it until it ends — through a backfill's partitions too. A
 * claim whose job finished, failed or vanished (its worker died and the job was retried under
 * the same id, or removed) is taken over. Resolves to the holder's job id when it is taken.
 */
async function claimConnector(ctx: JobContext, c: FleetConnectorResolved, jobId: string): Promise<string | undefined> {
  const key = fleetKeys(ctx.prefix).run(c.id)
  for (let i = 0; i < 5; i++) {
    if (await ctx.redis.set(key, jobId, 'NX')) return undefined
    const holder = await ctx.redis.get(key)
    if (holder === null) continue
    if (holder === jobId) return undefined
    const job = await ctx.bull.Job.fromId(ctx.queueFor(c), holder)
    const state = job ? await job.getState() : 'unknown'
    if (LIVE.has(state)) return holder
    if (Number(await ctx.redis.eval(SWAP, 1, key, holder, jobId)) === 1) return undefined
  }
  return (await ctx.redis.get(key)) ?? 'unknown'
}

async function releaseConnector(ctx: JobContext, c: FleetConnectorResolved, jobId: string): Promise<void> {
  await ctx.redis.eval(RELEASE, 1, fleetKeys(ctx.prefix).run(c.id), jobId)
}

/** The partition plan, if the source can split and the work is worth splitting. */
async function planBackfill(c: FleetConnectorResolved): Promise<PartitionPlan | undefined> {
  if (c.partitions === false || !c.source.partitions || !c.source.partition) return undefined
  if (!c.sink.loadState) throw new SluiceError({ code: 'CONFIG_INVALID', message: `the ${c.sink.name} destination can't read a connector's state outside a sync (no loadState), which a fleet needs to plan a backfill; set partitions: false on connector ${c.id}` })
  const state = await c.sink.loadState({ connectorId: c.id })
  const catalog = await syncCatalog(c.source, c.options.stages ?? [], c.options.configuration ?? {})
  const plan = await c.source.partitions({ state, configuration: c.options.configuration ?? {}, signal: new AbortController().signal, max: c.partitions.max, catalog: catalog.source })
  if (!plan || plan.partitions.length < c.partitions.min) return undefined
  const keys = new Set<string>()
  for (const p of plan.partitions) {
    if (typeof p?.key !== 'string' || !/^[A-Za-z0-9_.:-]{1,80}$/.test(p.key) || keys.has(p.key)) {
      throw new SluiceError({ code: 'CONFIG_INVALID', message: `connector ${c.id}: the source planned a partition with key ${JSON.stringify(p?.key)}; keys must be unique, of letters, digits, _ . : - and at most 80 long` })
    }
    keys.add(p.key)
  }
  if (plan.partitions.length > c.partitions.max) {
    throw new SluiceError({ code: 'CONFIG_INVALID', message: `connector ${c.id}: the source planned ${plan.partitions.length} partitions, more than partitions.max (${c.partitions.max})` })
  }
  return plan
}

/**
 * Enqueues the plan's partitions as children of this job (again after a crash: job ids are
 * deterministic, so existing ones are kept), waits for them, then completes the backfill: one
 * fenced sync of the connector that moves its state to `plan.complete`, applies its deferred
 * truncates and merges the partitions' MAR — or, if a partition failed for good, records the
 * failure naming it.
 */
async function completeBackfill(ctx: JobContext, c: FleetConnectorResolved, job: Job<RunJobData>, token: string): Promise<FleetOutcome> {
  const plan = job.data.plan!
  const queue = ctx.queueFor(c)
  const parent = { id: job.id!, queue: job.queueQualifiedName }
  await queue.addBulk(
    plan.partitions.map((partition) => ({
      name: PARTITION,
      data: { connectorId: c.id, partition } satisfies PartitionJobData,
      opts: {
        jobId: partitionJobId(job.id!, partition.key),
        parent,
        attempts: ctx.attempts,
        backoff: { type: 'exponential', delay: ctx.backoffMs },
        // A partition whose retries are used up completes with its failure (see runPartition), so the parent
        // names it; one that fails otherwise (stalled past maxStalledCount) fails the parent.
        failParentOnFailure: true,
        removeOnComplete: { age: 7 * 86_400 },
        removeOnFail: { age: 7 * 86_400 },
      },
    })),
  )
  if (await job.moveToWaitingChildren(token)) bullmqSignal(ctx.bull, 'WaitingChildrenError')
  const values = (await job.getChildrenValues()) as Record<string, PartitionResult | undefined>
  const rows = Object.values(values).reduce((n, v) => n + (v?.rows ?? 0), 0)
  const failed = Object.entries(values)
    .filter(([, v]) => v?.failed)
    .map(([jobKey, v]) => ({ key: keyOfChild(job.id!, jobKey, plan.partitions), reason: `${v!.failed!.code}: ${v!.failed!.message}` }))
    .sort((a, b) => a.key.localeCompare(b.key))
  const failure = failed.length
    ? new SluiceError({
        code: 'PARTITION_FAILED',
        message: `connector ${c.id}: ${failed.length} of ${plan.partitions.length} partitions failed after their retries: ${failed.slice(0, 5).map((f) => `${f.key} (${f.reason})`).join('; ')}${failed.length > 5 ? '; …' : ''}`,
        context: { connector: c.id, partitions: failed.map((f) => f.key) },
      })
    : undefined
  const report = await withSink(c.sink, async () => {
    const epoch = await c.sink.fence!({ connectorId: c.id })
    return sync({
    source: completionSource(c.source, plan.complete, failure),
    destination: c.sink,
    ...(c.options.stages ? { stages: c.options.stages } : {}),
    connectorId: c.id,
    ...(c.options.configuration ? { configuration: c.options.configuration } : {}),
    ...(c.mar ? { mar: c.mar } : {}),
    fleet: failure ? { epoch } : { epoch, completes: plan.partitions.map((p) => partitionConnectorId(c.id, p.key)) },
    })
  })
  await alertOnOutcome(c, { ...report, rows })
  await releaseConnector(ctx, c, job.id!)
  if (report.status === 'failed') {
    c.logger.error({ connector: c.id, syncId: report.syncId, error: report.error }, 'backfill failed')
    // A failed partition fails the backfill for good: the next run plans again from the last committed state.
    bullmqSignal(ctx.bull, 'UnrecoverableError', `${report.error?.code ?? 'FAILED'}: ${report.error?.message ?? 'the backfill failed'}`)
  }
  c.logger.info({ connector: c.id, syncId: report.syncId, partitions: plan.partitions.length, rows }, 'backfill completed')
  return { status: 'succeeded', connectorId: c.id, partitions: plan.partitions.length, rows, syncId: report.syncId }
}

/** `bull:default:17.id.0-1000` → the partition key `id.0-1000`. */
function keyOfChild(parentId: string, jobKey: string, partitions: readonly Partition[]): string {
  const id = jobKey.slice(jobKey.lastIndexOf(':') + 1)
  return partitions.find((p) => partitionJobId(parentId, p.key) === id)?.key ?? id
}

/** One sync of the connector in this job, fenced; stopped by a worker shutdown, it goes back to the queue. */
async function plainSync(ctx: JobContext, c: FleetConnectorResolved, job: Job<RunJobData>, token: string): Promise<FleetOutcome> {
  const report = await withSink(c.sink, async () => {
    const epoch = await c.sink.fence!({ connectorId: c.id })
    return runSync(ctx, c, job, { connectorId: c.id, source: c.source, fleet: { epoch } })
  })
  await alertOnOutcome(c, report)
  await requeueIfShutdown(ctx, job, token, report)
  if (report.status === 'failed') throw failureOf(report)
  return { status: report.status, connectorId: c.id, partitions: 0, rows: report.rows, syncId: report.syncId }
}

/** What a partition job returns: its rows, or (its last attempt failed) why. */
interface PartitionResult {
  readonly rows: number
  readonly syncId?: string
  readonly failed?: { readonly code: string; readonly message: string }
}

async function runPartition(ctx: JobContext, c: FleetConnectorResolved, job: Job<PartitionJobData>, token: string): Promise<PartitionResult> {
  const partition = job.data.partition
  if (await isPaused(c)) {
    // Paused fleet-wide: the partition waits in the queue, its work so far committed.
    await job.moveToDelayed(Date.now() + ctx.requeueMs, token)
    bullmqSignal(ctx.bull, 'DelayedError')
  }
  const connectorId = partitionConnectorId(c.id, partition.key)
  const report = await withSink(c.sink, async () => {
    const epoch = await c.sink.fence!({ connectorId })
    return runSync(ctx, c, job, { connectorId, source: c.source.partition!(partition), fleet: { epoch, partitionOf: c.id } })
  })
  if (report.status === 'failed') {
    // Retried while attempts remain; the last attempt's failure is the partition's result, so the
    // backfill's completion names it (BullMQ would otherwise only say "child … failed").
    if (job.attemptsMade + 1 < (job.opts.attempts ?? 1)) throw failureOf(report)
    return { rows: 0, syncId: report.syncId, failed: { code: report.error?.code ?? 'SOURCE_FAILED', message: report.error?.message ?? 'the sync failed' } }
  }
  if (report.status === 'stopped') {
    // Not finished (pause, deadline, shutdown): back to the queue; it resumes from its own state.
    c.logger.info({ connector: c.id, partition: partition.key, stopReason: report.stopReason }, 'partition stopped at a checkpoint; requeued')
    await job.moveToDelayed(Date.now() + (ctx.closing() ? 0 : ctx.requeueMs), token)
    bullmqSignal(ctx.bull, 'DelayedError')
  }
  return { rows: report.rows, syncId: report.syncId }
}

async function runSync(ctx: JobContext, c: FleetConnectorResolved, job: Job, run: { connectorId: string; source: FleetConnectorResolved['source']; fleet: NonNullable<Parameters<typeof sync>[0]['fleet']> }): Promise<SyncReport> {
  const abort = new AbortController()
  // A job that waited for its turn on the destination while the worker began closing doesn't start.
  if (ctx.closing()) abort.abort()
  ctx.running.set(job.id!, { connectorId: c.id, abort })
  try {
    const report = await sync({
      source: run.source,
      destination: c.sink,
      ...(c.options.stages ? { stages: c.options.stages } : {}),
      connectorId: run.connectorId,
      signal: abort.signal,
      ...(c.options.configuration ? { configuration: c.options.configuration } : {}),
      ...(c.options.deadline !== undefined ? { deadline: c.options.deadline } : {}),
      ...(c.options.grace !== undefined ? { grace: c.options.grace } : {}),
      ...(c.mar ? { mar: c.mar } : {}),
      fleet: run.fleet,
      on: {
        syncStart: (e) => c.logger.info({ connector: run.connectorId, syncId: e.syncId, job: job.id }, 'sync started'),
        checkpoint: (e) => c.logger.debug({ connector: run.connectorId, syncId: e.syncId, rows: e.rows }, 'checkpoint'),
      },
    })
    const fields = { connector: run.connectorId, syncId: report.syncId, status: report.status, rows: report.rows, durationMs: report.durationMs, job: job.id }
    if (report.status === 'failed') c.logger.error({ ...fields, error: { code: report.error?.code, message: report.error?.message } }, 'sync failed')
    else c.logger.info({ ...fields, ...(report.stopReason ? { stopReason: report.stopReason } : {}) }, `sync ${report.status}`)
    return report
  } finally {
    ctx.running.delete(job.id!)
  }
}

/** A sync stopped because this worker is shutting down goes back to the queue for another worker. */
async function requeueIfShutdown(ctx: JobContext, job: Job, token: string, report: SyncReport): Promise<void> {
  if (report.status !== 'stopped' || !ctx.closing()) return
  await job.moveToDelayed(Date.now(), token)
  bullmqSignal(ctx.bull, 'DelayedError')
}

function failureOf(report: SyncReport): Error {
  // BullMQ keeps only the message (failedReason): it starts with the code.
  const code = (report.error?.code ?? 'SOURCE_FAILED') as SluiceError['code']
  return new SluiceError({ code, message: `${code}: ${report.error?.message ?? 'the sync failed'}`, retryable: report.error?.retryable ?? false })
}

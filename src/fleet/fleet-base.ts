import type { Queue } from 'bullmq'
import type { Redis } from 'ioredis'
import { parseDuration, type Duration } from '../core/duration.js'
import { positiveInteger } from '../core/check-option.js'
import { resolveApis, type ApiLimits, type ApiLimitsResolved } from './api-limits.js'
import { resolveFleetConnectors, type FleetConnector, type FleetConnectorResolved } from './fleet-connector.js'
import { queueName } from './queue-names.js'
import { checkPrefix, loadBullmq, redisOptions, type BullMQ, type RedisConnection, type RedisOptions } from './redis-connection.js'
import { openRedis } from './open-redis.js'

/**
 * The options `fleet()` and `runWorker()` share: where the fleet's Redis is, its connectors, its
 * key prefix, the retries of its jobs and the APIs whose limits connectors share.
 *
 * @example
 * ```ts
 * import type { FleetOptions } from 'sluice/bullmq'
 * const shared: Omit<FleetOptions, 'connectors'> = { connection: 'redis://127.0.0.1:6379', prefix: 'sluice', attempts: 5, backoff: '1s' }
 * ```
 */
export interface FleetBaseOptions {
  readonly connection: RedisConnection
  readonly connectors: readonly FleetConnector[]
  /** Key prefix in Redis (default 'sluice'): the fleet and its workers use the same. */
  readonly prefix?: string
  /** Attempts of each job (default 5); failed attempts wait `backoff`, doubled each time. */
  readonly attempts?: number
  /** First retry delay (default '1s'). */
  readonly backoff?: Duration
  /** APIs whose limits connectors share (a connector names one with `api`). */
  readonly apis?: Readonly<Record<string, ApiLimits>>
}

/** What both sides of a fleet start from: checked options, BullMQ, a Redis client and the queues by API. */
export interface FleetBase {
  readonly connection: RedisOptions
  readonly prefix: string
  readonly apis: Map<string, ApiLimitsResolved>
  readonly connectors: Map<string, FleetConnectorResolved>
  readonly attempts: number
  readonly backoffMs: number
  readonly bull: BullMQ
  readonly redis: Redis
  /** The queue of an API group (made on first use, kept). */
  queueOf(api: string | undefined): Queue
  readonly queues: ReadonlyMap<string, Queue>
  /** Closes the queues and the Redis client. */
  close(): Promise<void>
}

/**
 * Checks the shared options (`CONFIG_INVALID` naming the bad one, under `where`), loads BullMQ and
 * opens Redis. `onQueueError` hears the queues' connection errors (they reconnect by themselves).
 */
export async function openFleetBase(options: FleetBaseOptions, where: string, onQueueError: (queue: string, error: Error) => void): Promise<FleetBase> {
  const connection = redisOptions(options.connection, where)
  const prefix = checkPrefix(options.prefix, where)
  const apis = resolveApis(options.apis, where)
  const connectors = resolveFleetConnectors(options.connectors, where, new Set(apis.keys()))
  const attempts = options.attempts === undefined ? 5 : positiveInteger(`${where}.attempts`, options.attempts)
  const backoffMs = parseDuration(options.backoff ?? '1s', `${where}.backoff`)
  const bull = await loadBullmq(`${where} (sluice/bullmq)`)
  const redis = await openRedis(connection)
  const queues = new Map<string, Queue>()
  const queueOf = (api: string | undefined): Queue => {
    const name = queueName(api)
    let queue = queues.get(name)
    if (!queue) {
      queue = new bull.Queue(name, { connection, prefix })
      queue.on('error', (error) => onQueueError(name, error))
      queues.set(name, queue)
    }
    return queue
  }
  return {
    connection, prefix, apis, connectors, attempts, backoffMs, bull, redis, queueOf, queues,
    async close() {
      await Promise.all([...queues.values()].map((q) => q.close()))
      await redis.quit().catch(() => redis.disconnect())
    },
  }
}

import type { Redis } from 'ioredis'
import { loadOptional } from '../core/load-optional.js'
import type { RedisOptions } from './redis-connection.js'

/** A plain ioredis client for the fleet's own keys (backfill markers, pause flags, API limits). */
export async function openRedis(options: RedisOptions): Promise<Redis> {
  const mod = await loadOptional<{ Redis?: new (o: object) => Redis; default?: new (o: object) => Redis }>('ioredis', 'sluice/bullmq')
  const IORedis = (mod.Redis ?? mod.default)!
  const client = new IORedis({ ...options, lazyConnect: false })
  client.on('error', () => {}) // reconnects by itself (retryStrategy); commands wait meanwhile
  return client
}

import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'

/** The machine's Redis (CI=true: a missing one is a failure, as for every service test). */
export const REDIS = { host: '127.0.0.1', port: 6379 }

/** A prefix of its own per test, so tests never see each other's queues. */
export function testPrefix(): string {
  return `t${randomUUID().slice(0, 8)}`
}

/** Deletes every key of a prefix (queues, schedulers, fleet keys). */
export async function dropPrefix(prefix: string, connection: { host: string; port: number } = REDIS): Promise<void> {
  const redis = new Redis({ ...connection, maxRetriesPerRequest: 1 })
  try {
    let cursor = '0'
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000)
      cursor = next
      if (keys.length) await redis.del(...keys)
    } while (cursor !== '0')
  } finally {
    redis.disconnect()
  }
}

/** Waits until `check` holds (polling), or fails naming `what`. */
export async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

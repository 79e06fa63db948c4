import { configInvalid, knownOptions, positiveInteger } from '../core/check-option.js'
import { loadOptional } from '../core/load-optional.js'

/**
 * Where the fleet's Redis is: `'redis://[:password@]host:port[/db]'` (or `rediss://` for TLS), or
 * its parts. The password never appears in logs, errors or status.
 *
 * @example
 * ```ts
 * import type { RedisConnection } from 'sluice/bullmq'
 * const local: RedisConnection = { host: '127.0.0.1', port: 6379 }
 * const url: RedisConnection = 'redis://:secret@redis.internal:6379/0'
 * ```
 */
export type RedisConnection =
  | string
  | { readonly host?: string; readonly port?: number; readonly username?: string; readonly password?: string; readonly db?: number; readonly tls?: boolean }

/** ioredis options for BullMQ (workers need `maxRetriesPerRequest: null`: they block on Redis and must reconnect, not fail). */
export interface RedisOptions {
  readonly host: string
  readonly port: number
  readonly username?: string
  readonly password?: string
  readonly db?: number
  readonly tls?: object
  readonly maxRetriesPerRequest: null
  readonly enableReadyCheck: boolean
  readonly retryStrategy: (times: number) => number
}

/** Checks a connection and turns it into ioredis options; `CONFIG_INVALID` names the bad part (never the password). */
export function redisOptions(connection: unknown, where: string): RedisOptions {
  const common = { maxRetriesPerRequest: null, enableReadyCheck: true, retryStrategy: (times: number) => Math.min(2000, 50 * 2 ** Math.min(times, 6)) } as const
  if (typeof connection === 'string') {
    let url: URL
    try {
      url = new URL(connection)
    } catch {
      throw configInvalid(`${where}.connection`, "a redis URL such as 'redis://127.0.0.1:6379'", 'a string that is not a URL')
    }
    if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') throw configInvalid(`${where}.connection`, 'a redis:// or rediss:// URL', url.protocol)
    const db = url.pathname.length > 1 ? Number(url.pathname.slice(1)) : undefined
    if (db !== undefined && !Number.isInteger(db)) throw configInvalid(`${where}.connection`, 'a redis URL whose path is a database number', url.pathname)
    return {
      ...common,
      host: url.hostname || '127.0.0.1',
      port: url.port ? Number(url.port) : 6379,
      ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
      ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
      ...(db !== undefined ? { db } : {}),
      ...(url.protocol === 'rediss:' ? { tls: {} } : {}),
    }
  }
  if (typeof connection !== 'object' || connection === null) throw configInvalid(`${where}.connection`, "a redis URL or { host, port, password?, db? }", connection === undefined ? undefined : typeof connection)
  const c = connection as Exclude<RedisConnection, string>
  knownOptions(c, { host: true, port: true, username: true, password: true, db: true, tls: true }, `${where}.connection`)
  if (c.host !== undefined && (typeof c.host !== 'string' || c.host === '')) throw configInvalid(`${where}.connection.host`, 'a host name', c.host)
  if (c.password !== undefined && typeof c.password !== 'string') throw configInvalid(`${where}.connection.password`, 'a string', typeof c.password)
  if (c.username !== undefined && typeof c.username !== 'string') throw configInvalid(`${where}.connection.username`, 'a string', typeof c.username)
  if (c.db !== undefined && (!Number.isInteger(c.db) || c.db < 0)) throw configInvalid(`${where}.connection.db`, 'a database number', c.db)
  if (c.tls !== undefined && typeof c.tls !== 'boolean') throw configInvalid(`${where}.connection.tls`, 'true or false', c.tls)
  return {
    ...common,
    host: c.host ?? '127.0.0.1',
    port: c.port === undefined ? 6379 : positiveInteger(`${where}.connection.port`, c.port),
    ...(c.username !== undefined ? { username: c.username } : {}),
    ...(c.password !== undefined ? { password: c.password } : {}),
    ...(c.db !== undefined ? { db: c.db } : {}),
    ...(c.tls ? { tls: {} } : {}),
  }
}

/** BullMQ, loaded when a fleet or a worker starts (an optional peer dependency, with ioredis). */
export type BullMQ = typeof import('bullmq')

/** Imports bullmq (and checks ioredis is there), or `CONFIG_INVALID` naming what to install. */
export async function loadBullmq(neededBy: string): Promise<BullMQ> {
  await loadOptional('ioredis', neededBy)
  return loadOptional<BullMQ>('bullmq', neededBy)
}

/** A prefix for every Redis key of one fleet (BullMQ's `prefix`): letters, digits, `_`, `-`, `.`. */
export function checkPrefix(prefix: unknown, where: string): string {
  if (prefix === undefined) return 'sluice'
  if (typeof prefix !== 'string' || !/^[A-Za-z0-9_.-]{1,40}$/.test(prefix)) throw configInvalid(`${where}.prefix`, 'letters, digits, _ . - (at most 40)', prefix)
  return prefix
}

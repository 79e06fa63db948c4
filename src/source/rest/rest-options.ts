import type { ColumnType } from '../../core/column-type.js'
import { parseTableSpecs, type TableSpec, type WriteMode } from '../../core/table-spec.js'
import { parseIncremental, type IncrementalConfig, type IncrementalOptions } from '../../cursor/incremental-options.js'
import { fieldPath, type FieldGetter } from '../../cursor/field-path.js'
import type { Auth } from '../../http/auth/auth.js'
import { authFromConfig, type AuthConfig } from '../../http/auth/auth-from-config.js'
import { baseUrlCredentials } from '../../http/base-url-credentials.js'
import { buildUrl, type QueryValue } from '../../http/build-url.js'
import type { TimeoutsMs } from '../../http/http-error.js'
import { httpLimits } from '../../http/http-limits.js'
import { type RetryPolicy, exponentialBackoff } from '../../retry/backoff.js'
import { configInvalid, positiveInteger } from '../../core/check-option.js'
import type { Clock } from '../../core/clock.js'
import type { RateLimiter } from '../../retry/rate-limit.js'
import type { ColumnProjection } from '../column-projection.js'
import { originPolicy, type AllowOrigin, type OriginPolicy } from './allow-origins.js'
import { parseFieldsParam, type FieldsParam, type ResolvedFieldsParam } from './fields-param.js'
import { incrementalPaging, type IncrementalPaging } from './incremental-paging.js'
import { paginatorFrom, type PaginateConfig } from './paginate-config.js'
import type { Paginator } from './paginator.js'
import { pathTemplate, type PathTemplate } from './path-template.js'
import { compileStopRules, type CompiledStopRules } from './stop-rules.js'

/**
 * One endpoint of a REST source and the table it fills: path, parameters, where the records are, keys, types,
 * pagination and incremental cursor. A child stream (`parent`) is read once per record of its parent.
 *
 * @example
 * ```ts
 * import { offset, type RestStream } from 'sluice'
 * const orders: RestStream = {
 *   table: 'orders', path: '/orders', records: 'data', primaryKey: ['id'],
 *   params: { sort: 'updated_at' }, // the API returns the oldest change first: sluice pages by the cursor
 *   paginate: offset({ limit: 1000 }),
 *   incremental: { cursor: 'updated_at', param: 'updated_since', sorted: 'asc', lookback: '5m' },
 * }
 * ```
 */
export interface RestStream {
  /** Destination table. */
  readonly table: string
  /** Path under `baseUrl`; in a child stream `{field}` placeholders take the parent record's fields (`/customers/{id}/orders`). */
  readonly path: string
  /**
   * Table of the parent stream (a top-level stream): this endpoint is read for each parent record the sync reads.
   * When a `select()` stage blocks the parent's table but not this one, the parent is still requested (its records
   * fill this path) but none of its rows are written, and its incremental cursor stays where it was, so unblocking
   * it later misses nothing.
   */
  readonly parent?: string
  /** Columns copied from the parent record into each child row: `{ customer_id: 'id' }` (dot paths allowed). */
  readonly parentFields?: Readonly<Record<string, string>>
  /** Query parameters of every request (arrays repeat the parameter). */
  readonly params?: Readonly<Record<string, QueryValue>>
  /**
   * Dot path of the records array in the body, e.g. 'data'; '' when the body itself is the array or one record.
   * Left out: a body that is an array, or one object (an object holding arrays fails: it is an envelope, so say where).
   */
  readonly records?: string
  readonly primaryKey?: readonly string[]
  /** Declared column types (others are inferred). */
  readonly columns?: Readonly<Record<string, ColumnType>>
  readonly mode?: WriteMode
  /** Default: a single request. */
  readonly paginate?: Paginator | PaginateConfig
  /**
   * Read only what changed since the last sync. Needs `primaryKey`, and paging that rows changing during the sync can't
   * shift: `sorted: 'asc'` (sluice then pages by the cursor), a paginator with `keyset: true`, or no `paginate`;
   * other shapes are refused (docs/incremental-paging.md).
   */
  readonly incremental?: IncrementalOptions
  /** Query parameter that asks the API for only the fields a `select()` stage lets through (`?fields=id,name`); needs `columns`. */
  readonly fields?: FieldsParam
}

/**
 * Options for `rest()`: the API (base URL, auth, headers, timeouts, retry) and its streams.
 * `auth` takes what `authFromConfig` does (`{ bearer }`, `{ apiKey }`, `{ basic }`, `{ oauth2 }`) or an `Auth`.
 *
 * @example
 * ```ts
 * import type { RestOptions } from 'sluice'
 * const options: RestOptions = { baseUrl: 'https://api.example.com/v1', auth: { bearer: process.env.API_TOKEN ?? 'dev-token' }, streams: [{ table: 'users', path: '/users' }] }
 * ```
 */
export interface RestOptions {
  /** The API's base URL; `user:password@` in it is sent as Basic auth (refused together with `auth`). */
  readonly baseUrl: string
  /** Sent only to the origin of `baseUrl` (and `allowOrigins` entries with `credentials: true`). */
  readonly auth?: AuthConfig
  /** Sent with every request to the origin of `baseUrl` (and `allowOrigins` entries with `credentials: true`). */
  readonly headers?: Readonly<Record<string, string>>
  /**
   * Other origins that page links (next URLs, Link headers, a paginator's URLs) may lead to, e.g.
   * `['https://cdn.example.com']`: followed without `auth` and `headers`, unless written
   * `{ origin: 'https://eu.api.example.com', credentials: true }`. Default none: a link to another origin (scheme,
   * host or port) fails the sync with CROSS_ORIGIN_LINK.
   */
  readonly allowOrigins?: readonly AllowOrigin[]
  readonly streams: readonly RestStream[]
  /** Retry policy of each page request (never of a whole stream). Default `exponentialBackoff()`; `false` disables it. */
  readonly retry?: RetryPolicy | false
  /**
   * Milliseconds. connectMs default 10_000; headersMs default 30_000; bodyMs (longest gap between body chunks)
   * default 30_000; totalMs (a whole page request, from sending it to its last byte; retried per `retry`) default 300_000.
   */
  readonly timeouts?: Partial<TimeoutsMs>
  /** Streams, and child endpoints of one parent page, read at once. Default 1 (declaration order). */
  readonly concurrency?: number
  /** Connector id (the key of the state). Default `rest:<host>`. */
  readonly id?: string
  /** Default `systemClock`; tests pass `fakeClock()` (retry waits, Retry-After dates). */
  readonly clock?: Clock
  /** A token bucket every request takes from. */
  readonly rateLimit?: RateLimiter
  /** Keep-alive connections. Default max(8, 2 × concurrency). */
  readonly connections?: number
  /** Largest response body, bytes. Default 64 MiB. */
  readonly maxResponseBytes?: number
}

/** A stream after validation, as the reader uses it. */
export interface ResolvedStream {
  readonly where: string
  readonly table: string
  readonly path: PathTemplate
  readonly parent: string | undefined
  readonly parentFields: readonly (readonly [string, FieldGetter])[]
  readonly params: Readonly<Record<string, QueryValue>>
  readonly records: FieldGetter | undefined
  readonly recordsPath: string | undefined
  readonly primaryKey: readonly string[] | undefined
  readonly spec: TableSpec
  readonly paginator: Paginator
  readonly stop: CompiledStopRules
  readonly incremental: IncrementalConfig | undefined
  /** How an incremental stream pages (undefined when not incremental): see `incrementalPaging`. */
  readonly paging: IncrementalPaging | undefined
  readonly children: ResolvedStream[]
  /** Top-level fields of the parent record this (child) stream reads: path placeholders and `parentFields`. */
  readonly needs: readonly string[]
  readonly fields: ResolvedFieldsParam | undefined
  /** False when a selection blocks this table and the stream is read only to drive its children. */
  readonly emit: boolean
  /** Drops the columns a selection blocks from rows about to be written. */
  readonly project: ColumnProjection | undefined
}

/** `RestOptions` after validation. */
export interface ResolvedRest {
  readonly id: string
  readonly baseUrl: string
  readonly auth: Auth | undefined
  readonly headers: Readonly<Record<string, string>>
  /** Where page requests may go, and which other origins get auth and headers. */
  readonly origins: OriginPolicy
  readonly retry: RetryPolicy | undefined
  readonly timeouts: TimeoutsMs
  readonly concurrency: number
  readonly clock: Clock | undefined
  readonly rateLimit: RateLimiter | undefined
  readonly connections: number
  readonly maxResponseBytes: number
  /** Top-level streams (children hang off their parent). */
  readonly streams: readonly ResolvedStream[]
  readonly specs: readonly TableSpec[]
}

const SINGLE: Paginator = { kind: 'single', first: () => ({}), next: () => undefined }
const STREAM_KEYS = ['table', 'path', 'parent', 'parentFields', 'params', 'records', 'primaryKey', 'columns', 'mode', 'paginate', 'incremental', 'fields']
const OPTION_KEYS = ['baseUrl', 'auth', 'headers', 'streams', 'retry', 'timeouts', 'concurrency', 'id', 'clock', 'rateLimit', 'connections', 'maxResponseBytes', 'allowOrigins']

/**
 * Validates the whole `rest()` configuration at once, throwing CONFIG_INVALID that names the option (`streams[0].paginate.limit`).
 * Called by `rest()` when it is built, so a bad option never waits for the first request.
  *
 * @example
 * ```ts
 * import { resolveRest } from './rest-options.js'
 * const config = resolveRest({ baseUrl: 'https://api.example.com', streams: [{ table: 'users', path: '/users' }] })
 * ```
 */
export function resolveRest(options: RestOptions): ResolvedRest {
  if (typeof options !== 'object' || options === null) throw configInvalid('rest', 'an options object { baseUrl, streams }', options)
  unknownKeys(options, OPTION_KEYS, 'rest')
  if (typeof options.baseUrl !== 'string' || options.baseUrl === '') throw configInvalid('baseUrl', "an http(s) URL such as 'https://api.example.com/v1'", options.baseUrl)
  // user:password in baseUrl becomes Basic auth (undici would drop it); the stripped URL is the one used from here on.
  const { baseUrl, auth } = baseUrlCredentials(options.baseUrl, options.auth === undefined ? undefined : authFromConfig(options.auth), 'baseUrl')
  const base = buildUrl({ url: baseUrl }) // throws CONFIG_INVALID for a bad or non-http URL
  const origins = originPolicy(base, options.allowOrigins)
  const limits = httpLimits(options, (path) => path) // checked now, named as written, rather than at the first request
  const headers = stringRecord(options.headers, 'headers')
  const retry = options.retry === false ? undefined : options.retry ?? exponentialBackoff()
  if (retry !== undefined && (typeof retry !== 'object' || (retry.kind !== 'exponential' && retry.kind !== 'constant'))) {
    throw configInvalid('retry', 'a policy from exponentialBackoff() / constantBackoff(), or false', retry)
  }
  const concurrency = positiveInteger('concurrency', options.concurrency ?? 1)
  const connections = positiveInteger('connections', options.connections ?? Math.max(8, 2 * concurrency))
  if (!Array.isArray(options.streams) || options.streams.length === 0) throw configInvalid('streams', 'a non-empty array of streams', options.streams)

  const resolved = options.streams.map((stream, i) => resolveStream(stream, `streams[${i}]`))
  const byTable = new Map<string, ResolvedStream>()
  resolved.forEach((s) => {
    if (byTable.has(s.table)) throw configInvalid(`${s.where}.table`, 'unique among the streams', s.table)
    byTable.set(s.table, s)
  })
  for (const s of resolved) {
    if (s.parent === undefined) continue
    const parent = byTable.get(s.parent)
    if (!parent || parent === s) throw configInvalid(`${s.where}.parent`, `the table of another stream (${[...byTable.keys()].filter((t) => t !== s.table).join(', ') || 'none'})`, s.parent)
    if (parent.parent !== undefined) throw configInvalid(`${s.where}.parent`, `a top-level stream (${s.parent} is itself a child of ${parent.parent})`, s.parent)
    parent.children.push(s)
  }
  const specs = parseTableSpecs(resolved.map((s) => s.spec), 'streams')
  return {
    id: options.id ?? `rest:${base.host}`,
    baseUrl,
    auth,
    headers,
    origins,
    retry,
    timeouts: limits.timeouts,
    concurrency,
    clock: options.clock,
    rateLimit: options.rateLimit,
    connections,
    maxResponseBytes: limits.maxResponseBytes,
    streams: resolved.filter((s) => s.parent === undefined),
    specs,
  }
}

function resolveStream(stream: RestStream, where: string): ResolvedStream {
  if (typeof stream !== 'object' || stream === null) throw configInvalid(where, "a stream such as { table: 'orders', path: '/orders' }", stream)
  unknownKeys(stream, STREAM_KEYS, where)
  if (typeof stream.table !== 'string' || stream.table.trim() === '') throw configInvalid(`${where}.table`, 'a non-empty table name', stream.table)
  if (typeof stream.path !== 'string') throw configInvalid(`${where}.path`, "a path such as '/orders'", stream.path)
  const path = pathTemplate(stream.path, `${where}.path`)
  const parent = stream.parent
  if (parent !== undefined && (typeof parent !== 'string' || parent === '')) throw configInvalid(`${where}.parent`, 'the table name of the parent stream', parent)
  if (parent === undefined && path.fields.length > 0) throw configInvalid(`${where}.path`, `free of {placeholders} unless the stream has a parent (found {${path.fields[0]}})`, stream.path)
  if (parent === undefined && stream.parentFields !== undefined) throw configInvalid(`${where}.parentFields`, 'used only together with parent', 'set')
  const parentFields = Object.entries(stringRecord(stream.parentFields, `${where}.parentFields`)).map(
    ([column, field]) => [column, fieldPath(field, `${where}.parentFields.${column}`)] as const,
  )
  const params = queryRecord(stream.params, `${where}.params`)
  if (stream.records !== undefined && typeof stream.records !== 'string') throw configInvalid(`${where}.records`, "a dot path such as 'data' ('' for the body itself)", stream.records)
  const records = stream.records === undefined ? undefined : fieldPath(stream.records, `${where}.records`)
  const paginator = stream.paginate === undefined ? SINGLE : paginatorFrom(stream.paginate, `${where}.paginate`)
  const stop = compileStopRules(paginator.stop, `${where}.paginate`, {})
  const incremental = stream.incremental === undefined ? undefined : parseIncremental(stream.incremental, `${where}.incremental`)
  if (incremental?.sorted && parent !== undefined) {
    throw configInvalid(`${where}.incremental.sorted`, "left out on a child stream (its rows come from many endpoints, so no single order holds)", 'asc')
  }
  const paging = Object.keys(paginator.first({ path: stream.path }).query ?? {})
  if (incremental) {
    for (const [name, value] of [['param', incremental.param], ['endParam', incremental.endParam]] as const) {
      if (value === undefined) continue
      if (paging.includes(value)) throw configInvalid(`${where}.incremental.${name}`, `different from the paginator's parameters (${paging.join(', ')})`, value)
      if (value in params) throw configInvalid(`${where}.incremental.${name}`, `not also set in ${where}.params (the cursor sets it)`, value)
    }
  }
  const fields = parseFieldsParam(stream.fields, `${where}.fields`, { columns: stream.columns, params, paging, incremental })
  const needs = [...path.fields, ...Object.values(stream.parentFields ?? {})].map((field) => field.split('.')[0]!)
  const spec: TableSpec = {
    table: stream.table,
    ...(stream.primaryKey !== undefined ? { primaryKey: stream.primaryKey } : {}),
    ...(stream.columns !== undefined ? { columns: stream.columns } : {}),
    ...(stream.mode !== undefined ? { mode: stream.mode } : {}),
  }
  const primaryKey = Array.isArray(stream.primaryKey) && stream.primaryKey.length > 0 ? stream.primaryKey : undefined
  const incrementalPages = incremental && incrementalPaging({ where, table: stream.table, paginator, single: paginator === SINGLE, incremental, parent, primaryKey })
  return {
    where, table: stream.table, path, parent, parentFields, params, records, recordsPath: stream.records, primaryKey,
    spec, paginator, stop, incremental, paging: incrementalPages, children: [], needs: [...new Set(needs)], fields, emit: true, project: undefined,
  }
}

function unknownKeys(value: object, allowed: readonly string[], where: string): void {
  for (const key of Object.keys(value)) if (!allowed.includes(key)) throw configInvalid(`${where === 'rest' ? '' : `${where}.`}${key}`, `one of the known options (${allowed.join(', ')})`, key)
}

function stringRecord(value: unknown, what: string): Record<string, string> {
  if (value === undefined) return {}
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw configInvalid(what, 'an object of strings', value)
  for (const [k, v] of Object.entries(value)) if (typeof v !== 'string') throw configInvalid(`${what}.${k}`, 'a string', v)
  return value as Record<string, string>
}

function queryRecord(value: unknown, what: string): Record<string, QueryValue> {
  if (value === undefined) return {}
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw configInvalid(what, 'an object of query values', value)
  const scalar = (v: unknown) => typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v))
  for (const [k, v] of Object.entries(value)) {
    if (v === undefined || v === null || scalar(v) || (Array.isArray(v) && v.every(scalar))) continue
    throw configInvalid(`${what}.${k}`, 'a string, number, boolean or an array of them', typeof v === 'object' ? 'an object' : v)
  }
  return value as Record<string, QueryValue>
}

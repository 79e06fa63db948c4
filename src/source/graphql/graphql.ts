import type { Row, RowInput } from '../../core/batch.js'
import type { ColumnType } from '../../core/column-type.js'
import type { Json, Message, State } from '../../core/message.js'
import { SluiceError } from '../../core/sluice-error.js'
import { parseTableSpecs } from '../../core/table-spec.js'
import { authFromConfig, type AuthConfig } from '../../http/auth/auth-from-config.js'
import { baseUrlCredentials } from '../../http/base-url-credentials.js'
import { httpClient, type HttpClientOptions } from '../../http/http-client.js'
import { redactUrl } from '../../http/redact.js'
import { exponentialBackoff, type RetryPolicy } from '../../retry/backoff.js'
import { configInvalid, knownOptions, oneOf, positiveInteger } from '../../retry/check-option.js'
import { systemClock, type Clock } from '../../retry/clock.js'
import { retry } from '../../retry/retry.js'
import { op } from '../op.js'
import type { Source } from '../source.js'
import { at, graphqlErrors, readConnectionPage, type ReadPageOptions } from './graphql-response.js'
import { checkFieldsVariable, graphqlSelection } from './graphql-selection.js'
import { maxCursor } from './max-cursor.js'

/**
 * Incremental reads for `graphql`: the node field holding the cursor, and the query variable that takes the
 * lower bound (closed: the server returns cursor ≥ bound; re-read boundary rows are idempotent upserts).
 *
 * @example
 * ```ts
 * import type { GraphqlIncremental } from 'sluice'
 * const incremental: GraphqlIncremental = { cursor: 'updatedAt', variable: 'updatedSince', initial: '2026-01-01T00:00:00Z' }
 * ```
 */
export interface GraphqlIncremental {
  /** Field of the node (dot path) holding the cursor value, e.g. 'updatedAt'. */
  readonly cursor: string
  /** Query variable that receives the lower bound, e.g. 'updatedSince' for `$updatedSince`. */
  readonly variable: string
  /** Bound of the first sync. Default: none (the variable is null: read everything). */
  readonly initial?: Json
  /**
   * Nodes come ascending by the cursor: the bound then advances at every page, so a stopped sync resumes from
   * the last page's cursor. Default false: the bound advances only once the stream completed.
   */
  readonly sorted?: boolean
}

/**
 * HTTP settings of the client `graphql` builds: headers, timeouts, rate limit, pool (auth, retry and clock come from `graphql`'s own options).
 * Pass them as `graphql({ http })` to tune the transport.
 *
 * @example
 * ```ts
 * import { rateLimit, type GraphqlHttpOptions } from 'sluice'
 * const http: GraphqlHttpOptions = { timeouts: { headersMs: 60_000 }, rateLimit: rateLimit({ requests: 2, perMs: 1000 }) }
 * ```
 */
export type GraphqlHttpOptions = Pick<HttpClientOptions, 'headers' | 'timeouts' | 'rateLimit' | 'connections' | 'maxResponseBytes' | 'keepAliveMs' | 'dispatcher' | 'userAgent' | 'redactParams'>

/**
 * Options of `graphql`, with defaults per field. The query must declare `$first` and `$after` (or the names in
 * `pageVariables`) and, when incremental, the bound variable.
 *
 * @example
 * ```ts
 * import type { GraphqlOptions } from 'sluice'
 * const options: GraphqlOptions = {
 *   endpoint: 'https://api.example.com/graphql', table: 'orders', primaryKey: ['id'], connection: 'data.orders',
 *   query: 'query($first: Int, $after: String) { orders(first: $first, after: $after) { nodes { id } pageInfo { hasNextPage endCursor } } }',
 * }
 * ```
 */
export interface GraphqlOptions {
  /** Absolute URL of the GraphQL endpoint (POST JSON). */
  readonly endpoint: string
  readonly query: string
  /** Other variables, sent with every page. */
  readonly variables?: Readonly<Record<string, Json>>
  /** Path of the connection from the response root, e.g. 'data.orders' or 'data.shop.orders'. */
  readonly connection: string
  /** Nodes per page (`$first`). Default 100. */
  readonly pageSize?: number
  /** Names of the page-size and cursor variables. Default { first: 'first', after: 'after' }. */
  readonly pageVariables?: { readonly first?: string; readonly after?: string }
  readonly auth?: AuthConfig
  readonly http?: GraphqlHttpOptions
  readonly table: string
  readonly primaryKey?: readonly string[]
  readonly columns?: Readonly<Record<string, ColumnType>>
  readonly incremental?: GraphqlIncremental
  /**
   * Query variable that receives the column names a `select()` stage lets through (for APIs that take a field list,
   * or `@include` logic in the query): the selected `columns`, the key and the cursor, sent only when the selection
   * blocks a declared column, otherwise left null — so declare it nullable (`$fields: [String!]`). Needs `columns`.
   */
  readonly fieldsVariable?: string
  /**
   * `errors` next to usable data: fail the sync ('fail', default) or keep the data and record the errors in `_sluice_errors`
   * ('continue'; fields an error nulled stay null, nodes it nulled are left out and counted in the record).
   */
  readonly onPartialData?: 'fail' | 'continue'
  /** Error codes (`extensions.code`, or `type`) that mean throttled: retried after the wait. Default THROTTLED, RATE_LIMITED, RATE_LIMIT_EXCEEDED. */
  readonly throttledCodes?: readonly string[]
  /** Retries of one page (429, 5xx, network, throttled). Default exponentialBackoff({ attempts: 6 }). */
  readonly retry?: RetryPolicy
  /** Default `systemClock`; tests pass `fakeClock()`. */
  readonly clock?: Clock
  /** Connector id (the key of the state). Default `graphql:<table>`. */
  readonly id?: string
}

const NAME = /^[_A-Za-z][_0-9A-Za-z]*$/

/**
 * A source over a GraphQL Relay connection: POSTs the query page by page (`$first`, `$after` ← `endCursor`),
 * reads `edges { node }` or `nodes`, and checkpoints after each page so a stopped sync resumes mid-stream.
 * Incremental through a query variable holding a closed lower bound on a cursor field; the bound advances when
 * the stream completes (or every page when `sorted`). Throttling (HTTP 429, or an error coded `THROTTLED` /
 * `RATE_LIMITED`, with Shopify's cost data honoured) and 5xx are retried with backoff; GraphQL `errors` fail
 * the sync, and partial data does too unless `onPartialData: 'continue'` records it in `_sluice_errors`.
 *
 * Use it for GraphQL APIs (Shopify, GitHub, Linear, any Relay-style server). Under a `select()` stage a blocked table
 * is never queried and blocked columns are dropped from the nodes before batches are built (see `fieldsVariable`
 * to narrow the query itself).
 *
 * @example
 * ```ts
 * import { graphql, sqlite, sync } from 'sluice'
 * await sync({
 *   source: graphql({
 *     endpoint: 'https://shop.example.com/admin/api/2025-01/graphql.json',
 *     auth: { apiKey: { key: 'shpat_123456', in: 'header', name: 'X-Shopify-Access-Token' } },
 *     query: `query($first: Int!, $after: String, $since: String) {
 *       orders(first: $first, after: $after, updatedSince: $since) {
 *         edges { node { id name updatedAt } } pageInfo { hasNextPage endCursor } } }`,
 *     connection: 'data.orders', table: 'orders', primaryKey: ['id'],
 *     incremental: { cursor: 'updatedAt', variable: 'since' },
 *   }),
 *   destination: sqlite({ path: 'warehouse.db' }),
 * })
 * ```
 */
export function graphql(options: GraphqlOptions): Source {
  knownOptions(options, { endpoint: true, query: true, variables: true, connection: true, pageSize: true, pageVariables: true, auth: true, http: true, table: true, primaryKey: true, columns: true, incremental: true, fieldsVariable: true, onPartialData: true, throttledCodes: true, retry: true, clock: true, id: true }, 'graphql')
  const o = checkOptions(options)
  const [spec] = parseTableSpecs([{ table: o.table, ...(options.primaryKey ? { primaryKey: options.primaryKey } : {}), ...(options.columns ? { columns: options.columns } : {}) }], 'graphql')
  const columns = spec!.columns
  const emit = (rows: readonly RowInput[]): Message => (columns ? op.upsert(o.table, rows).withTypes(columns) : op.upsert(o.table, rows))
  const inc = options.incremental

  return {
    id: options.id ?? `graphql:${o.table}`,
    tables: () => [spec!],
    readAhead: true,
    async *read({ state, signal, recordError, selection }) {
      const selected = graphqlSelection(
        { table: o.table, primaryKey: options.primaryKey, columns: options.columns, cursor: inc?.cursor, fieldsVariable: o.fieldsVariable },
        selection,
      )
      if (selected.skip) return
      const saved = savedState(state, o.table, inc)
      let after = saved.after
      let bound = saved.bound
      let max = saved.max
      // Credentials and `http.headers` go to the endpoint's origin only; errors name `graphql({ http: { … } })`.
      const client = httpClient({ ...options.http, ...(o.auth ? { auth: o.auth } : {}), clock: o.clock, credentialOrigins: [o.origin], optionsPath: 'graphql.http' })
      const url = client.redact(redactUrl(o.endpoint, { params: [...(o.auth?.secretParams ?? []), ...(options.http?.redactParams ?? [])] }))
      const reading: ReadPageOptions = { table: o.table, connection: o.connection, throttledCodes: o.throttledCodes, url, redact: client.redact }
      const midState = (): State => {
        if (!inc) return after === null ? {} : { after }
        if (inc.sorted) return defined({ cursor: max ?? bound })
        return defined({ cursor: bound, after: after ?? undefined, max })
      }
      try {
        for (;;) {
          const variables: Record<string, Json> = { ...options.variables, ...selected.variables, [o.first]: o.pageSize, [o.after]: after }
          if (inc) variables[inc.variable] = bound ?? null
          const page = await retry(
            async () => readConnectionPage((await client.requestJson({ method: 'POST', url: o.endpoint, json: { query: options.query, variables }, signal, retry: false })).data, reading),
            o.retry,
            { clock: o.clock, signal },
          )
          if (page.errors.length > 0) {
            if (o.onPartialData === 'fail') {
              throw graphqlErrors(reading, page.errors, 'GRAPHQL_PARTIAL', "returned partial data (errors next to data); set onPartialData: 'continue' to keep the data and record the errors")
            }
            const partial = graphqlErrors(reading, page.errors, 'GRAPHQL_PARTIAL', 'returned partial data')
            recordError({ kind: 'request', table: o.table, code: partial.code, message: partial.message, context: { ...partial.context, variables: pageVariables(variables, o, inc), nullNodes: page.nullNodes } })
          }
          if (inc) for (const node of page.nodes) max = nextMax(max, at(node, o.cursorPath), inc.sorted === true, o.table)
          if (page.nodes.length > 0) yield emit(selected.project ? selected.project(page.nodes as Row[]) : page.nodes)
          if (!page.hasNextPage) break
          if (page.endCursor === null || page.endCursor === after) throw loop(o.table, url, after, page.endCursor)
          after = page.endCursor
          yield op.checkpoint(midState())
        }
        yield op.checkpoint(inc ? defined({ cursor: max ?? bound }) : {})
      } catch (error) {
        if (signal.aborted) return
        throw error
      } finally {
        await client.close()
      }
    },
  }
}

interface Checked {
  /** Without user:password (that became `auth`). */
  readonly endpoint: string
  /** The only origin that gets `auth` and `http.headers`. */
  readonly origin: string
  readonly table: string
  readonly connection: readonly string[]
  readonly pageSize: number
  readonly first: string
  readonly after: string
  readonly auth: ReturnType<typeof authFromConfig> | undefined
  readonly cursorPath: readonly string[]
  readonly onPartialData: 'fail' | 'continue'
  readonly throttledCodes: ReadonlySet<string>
  readonly retry: RetryPolicy
  readonly clock: Clock
  readonly fieldsVariable: string | undefined
}

function checkOptions(options: GraphqlOptions): Checked {
  if (typeof options !== 'object' || options === null) throw configInvalid('graphql', 'an options object', options)
  if (typeof options.table !== 'string' || options.table.trim() === '') throw configInvalid('graphql.table', 'a non-empty table name', options.table)
  if (typeof options.endpoint !== 'string' || !/^https?:\/\//i.test(options.endpoint)) throw configInvalid('graphql.endpoint', 'an absolute http(s) URL', options.endpoint === undefined ? undefined : redactUrl(String(options.endpoint)))
  if (typeof options.query !== 'string' || options.query.trim() === '') throw configInvalid('graphql.query', 'the GraphQL query text', options.query)
  if (typeof options.connection !== 'string' || !/^data(\.[^.]+)+$/.test(options.connection)) {
    throw configInvalid('graphql.connection', "the path of the connection from the response root, such as 'data.orders'", options.connection)
  }
  const first = variableName('graphql.pageVariables.first', options.pageVariables?.first ?? 'first')
  const after = variableName('graphql.pageVariables.after', options.pageVariables?.after ?? 'after')
  const declared = (name: string) => new RegExp(`\\$${name}\\b`).test(options.query)
  if (!declared(first)) throw configInvalid('graphql.query', `a query declaring $${first} (the page size), e.g. query($${first}: Int, $${after}: String) { … }`, 'a query without it')
  if (!declared(after)) throw configInvalid('graphql.query', `a query declaring $${after} (the page cursor), e.g. query($${first}: Int, $${after}: String) { … }`, 'a query without it')
  const inc = options.incremental
  const reserved = [first, after]
  if (inc !== undefined) {
    if (typeof inc !== 'object' || inc === null) throw configInvalid('graphql.incremental', 'an object { cursor, variable }', inc)
    if (typeof inc.cursor !== 'string' || inc.cursor === '') throw configInvalid('graphql.incremental.cursor', 'the node field holding the cursor, e.g. updatedAt', inc.cursor)
    const variable = variableName('graphql.incremental.variable', inc.variable)
    if (!declared(variable)) throw configInvalid('graphql.incremental.variable', `declared in the query as $${variable}`, variable)
    if (reserved.includes(variable)) throw configInvalid('graphql.incremental.variable', `different from the page variables (${reserved.join(', ')})`, variable)
    reserved.push(variable)
    // The rows at the saved cursor come back at every sync (a closed bound): only a key tells them from new ones.
    if (!Array.isArray(options.primaryKey) || options.primaryKey.length === 0) {
      throw configInvalid('graphql.primaryKey', "set on an incremental stream (the rows at the saved cursor are read again at each sync, and without a key every changed row piles up as a copy): the node field(s) that identify a row, e.g. ['id']", options.primaryKey)
    }
  }
  // user:password in the endpoint becomes Basic auth, as in rest({ baseUrl }): requests go to the bare origin.
  const { baseUrl: endpoint, auth } = baseUrlCredentials(options.endpoint, options.auth === undefined ? undefined : authFromConfig(options.auth), 'graphql.endpoint')
  const origin = URL.canParse(endpoint) ? new URL(endpoint).origin : undefined
  if (origin === undefined) throw configInvalid('graphql.endpoint', 'an absolute http(s) URL', redactUrl(endpoint))
  const fieldsVariable = checkFieldsVariable(options.fieldsVariable, { columns: options.columns, declared, reserved, variables: options.variables })
  for (const name of Object.keys(options.variables ?? {})) {
    if (reserved.includes(name)) throw configInvalid(`graphql.variables.${name}`, 'left out: sluice sets it for each page', name)
  }
  return {
    endpoint,
    origin,
    table: options.table,
    connection: options.connection.split('.'),
    pageSize: positiveInteger('graphql.pageSize', options.pageSize ?? 100),
    first,
    after,
    auth,
    cursorPath: inc ? inc.cursor.split('.') : [],
    onPartialData: oneOf('graphql.onPartialData', options.onPartialData ?? 'fail', ['fail', 'continue'] as const),
    throttledCodes: new Set(options.throttledCodes ?? ['THROTTLED', 'RATE_LIMITED', 'RATE_LIMIT_EXCEEDED']),
    retry: options.retry ?? exponentialBackoff({ attempts: 6 }),
    clock: options.clock ?? systemClock,
    fieldsVariable,
  }
}

function variableName(what: string, value: unknown): string {
  if (typeof value === 'string' && NAME.test(value)) return value
  throw configInvalid(what, 'a GraphQL variable name without the $ (letters, digits, _)', value)
}

function savedState(state: State | undefined, table: string, inc: GraphqlIncremental | undefined): { after: string | null; bound: Json | undefined; max: Json | undefined } {
  const after = state?.after
  if (after !== undefined && typeof after !== 'string') {
    throw new SluiceError({ code: 'STATE_INVALID', message: `graphql(${table}): saved state { after } must be a cursor string, got ${JSON.stringify(after)}; reset the connector's state`, context: { table } })
  }
  return {
    after: after ?? null,
    bound: inc ? (state && 'cursor' in state ? state.cursor : inc.initial) : undefined,
    max: inc ? state?.max : undefined,
  }
}

function nextMax(max: Json | undefined, value: unknown, sorted: boolean, table: string): Json | undefined {
  const next = maxCursor(max, value)
  if (sorted && max !== undefined && max !== null && (typeof value === 'string' || typeof value === 'number') && next === max && value !== max) {
    throw new SluiceError({
      code: 'GRAPHQL_UNSORTED',
      message: `graphql(${table}): incremental.sorted is set but a node's cursor ${JSON.stringify(value)} comes after ${JSON.stringify(max)}; sort the query ascending by the cursor or unset sorted`,
      context: { table },
    })
  }
  return next
}

/** The variables worth recording (page and bound only: user variables may hold anything). */
function pageVariables(variables: Record<string, Json>, o: Checked, inc: GraphqlIncremental | undefined): Record<string, Json> {
  const out: Record<string, Json> = { [o.first]: variables[o.first]!, [o.after]: variables[o.after]! }
  if (inc) out[inc.variable] = variables[inc.variable]!
  return out
}

/** Drops undefined fields: a state is JSON. */
function defined(state: Record<string, Json | undefined>): State {
  const out: Record<string, Json> = {}
  for (const [k, v] of Object.entries(state)) if (v !== undefined) out[k] = v
  return out
}

function loop(table: string, url: string, after: string | null, endCursor: string | null): SluiceError {
  return new SluiceError({
    code: 'PAGINATION_LOOP',
    message: `graphql(${table}): POST ${url} says hasNextPage but ${endCursor === null ? 'gives no endCursor' : `returned the same endCursor ${JSON.stringify(endCursor)} as the page before`}; select pageInfo { hasNextPage endCursor } and pass $after to the connection`,
    context: { url, after, endCursor },
  })
}

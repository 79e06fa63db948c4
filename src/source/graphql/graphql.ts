import { graphqlCheck } from './graphql-check.js'
import type { Row, RowInput } from '../../core/batch.js'
import type { ColumnType } from '../../core/column-type.js'
import type { Json, Message, State } from '../../core/message.js'
import { isSluiceError, SluiceError } from '../../core/sluice-error.js'
import { parseTableSpecs } from '../../core/table-spec.js'
import { authFromConfig, type AuthConfig } from '../../http/auth/auth-from-config.js'
import { baseUrlCredentials } from '../../http/base-url-credentials.js'
import { httpClient, type HttpClientOptions } from '../../http/http-client.js'
import { redactUrl } from '../../http/redact.js'
import { exponentialBackoff, type RetryPolicy } from '../../retry/backoff.js'
import { configInvalid, knownOptions, oneOf, positiveInteger } from '../../core/check-option.js'
import { systemClock, type Clock } from '../../core/clock.js'
import { retry } from '../../retry/retry.js'
import { IncrementalRun } from '../../cursor/incremental-run.js'
import { parseIncremental, type IncrementalConfig } from '../../cursor/incremental-options.js'
import { op } from '../op.js'
import { responseDate } from '../../http/response-date.js'
import type { Source } from '../../contracts/source.js'
import { graphqlErrors, readConnectionPage, type ReadPageOptions } from './graphql-response.js'
import { checkFieldsVariable, graphqlSelection } from './graphql-selection.js'
import { GraphqlBound, graphqlPaging, type GraphqlPaging } from './graphql-paging.js'
import { cursorState, readGraphqlState, stateJson } from './graphql-state.js'

/**
 * Incremental reads for `graphql`: the node field holding the cursor, and the query variable that takes the
 * lower bound (closed: the server returns cursor ≥ bound; nodes already written at the bound are skipped by key).
 * Needs `sorted: true` or `graphql({ keyset: true })`: see docs/incremental-paging.md.
 *
 * @example
 * ```ts
 * import type { GraphqlIncremental } from 'sluice'
 * const incremental: GraphqlIncremental = { cursor: 'updatedAt', variable: 'updatedSince', initial: '2026-01-01T00:00:00Z', sorted: true }
 * ```
 */
export interface GraphqlIncremental {
  /** Field of the node (dot path) holding the cursor value, e.g. 'updatedAt'. */
  readonly cursor: string
  /** Query variable that receives the lower bound, e.g. 'updatedSince' for `$updatedSince`. */
  readonly variable: string
  /** Bound of the first sync: a timestamp text or a number. Default: none (the variable is null: read everything). */
  readonly initial?: Json
  /**
   * The query returns nodes ascending by the cursor (then by a unique key), e.g. with `orderBy: UPDATED_AT`. The saved
   * bound then advances at every page, so a stopped sync resumes from the last page's cursor; and unless `keyset` is
   * set, sluice pages by the cursor instead of `endCursor`: each next page is the first page again with the variable
   * set to the last node's value (`$after` null), so nodes changing, arriving or deleted meanwhile can't shift an unread
   * node past the pages read (an `endCursor` may encode a position). Default false: the stream then needs
   * `graphql({ keyset: true })`, and its bound advances only once it completed (capped at the run's start).
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
  /**
   * Each `endCursor` continues after the last node returned (a keyset, as Shopify's and GitHub's cursors do), never a
   * position (graphql-relay's `arrayconnection:<n>` is one). Your statement about the server: sluice can't see what a
   * cursor encodes. It lets an incremental stream follow `endCursor` (required when not `sorted`). Default false.
   */
  readonly keyset?: boolean
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
 * Incremental through a query variable holding a closed lower bound on a cursor field, safe while nodes change during
 * the sync: a `sorted` stream is paged by its cursor (or follows `endCursor` with `keyset: true`) and its bound advances
 * every page; an unsorted one needs `keyset: true` and its bound advances when it completes, capped at its start
 * (docs/incremental-paging.md). Throttling (HTTP 429, or an error coded `THROTTLED` /
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
 *       orders(first: $first, after: $after, updatedSince: $since, sortKey: UPDATED_AT) {
 *         edges { node { id name updatedAt } } pageInfo { hasNextPage endCursor } } }`,
 *     connection: 'data.orders', table: 'orders', primaryKey: ['id'],
 *     // Ascending by updatedAt: paged by the cursor, the bound saved after every page.
 *     incremental: { cursor: 'updatedAt', variable: 'since', sorted: true },
 *   }),
 *   destination: sqlite({ path: 'warehouse.db' }),
 * })
 * ```
 */
export function graphql(options: GraphqlOptions): Source {
  knownOptions(options, { endpoint: true, query: true, variables: true, connection: true, pageSize: true, pageVariables: true, auth: true, http: true, table: true, primaryKey: true, columns: true, incremental: true, keyset: true, fieldsVariable: true, onPartialData: true, throttledCodes: true, retry: true, clock: true, id: true }, 'graphql')
  const o = checkOptions(options)
  const [spec] = parseTableSpecs([{ table: o.table, ...(options.primaryKey ? { primaryKey: options.primaryKey } : {}), ...(options.columns ? { columns: options.columns } : {}) }], 'graphql')
  const columns = spec!.columns
  const emit = (rows: readonly RowInput[]): Message => (columns ? op.upsert(o.table, rows).withTypes(columns) : op.upsert(o.table, rows))
  const inc = o.incremental

  return {
    id: options.id ?? `graphql:${o.table}`,
    tables: () => [spec!],
    readAhead: true,
    check: (args) =>
      graphqlCheck(
        {
          client: () => httpClient({ ...options.http, ...(o.auth ? { auth: o.auth } : {}), clock: o.clock, credentialOrigins: [o.origin], optionsPath: 'graphql.http' }),
          endpoint: o.endpoint,
          query: options.query,
          // The first page of a first sync, one node long: no cursor, no incremental bound.
          variables: { ...options.variables, [o.first]: 1, [o.after]: null, ...(inc ? { [inc.param!]: null } : {}) },
          reading: { table: o.table, connection: o.connection, throttledCodes: o.throttledCodes, url: redactUrl(o.endpoint, { params: [...(o.auth?.secretParams ?? []), ...(options.http?.redactParams ?? [])] }) },
          secrets: o.auth?.secrets?.() ?? [],
        },
        args,
      ),
    async *read({ state, signal, recordError, selection }) {
      const selected = graphqlSelection(
        { table: o.table, primaryKey: options.primaryKey, columns: options.columns, cursor: options.incremental?.cursor, fieldsVariable: o.fieldsVariable },
        selection,
      )
      if (selected.skip) return
      const saved = readGraphqlState(state, o.table)
      const run = inc
        ? new IncrementalRun({ config: inc, table: o.table, primaryKey: options.primaryKey, recordError, saved: cursorState(saved), resume: inc.sorted ? undefined : saved.run })
        : undefined
      // A sorted stream resumes from its saved cursor; one that follows endCursor from where it stood.
      let after = inc?.sorted ? null : (saved.after ?? null)
      const bound = run && o.paging === 'byCursor' ? new GraphqlBound({ table: o.table, incremental: inc!, from: run.from }) : undefined
      // Credentials and `http.headers` go to the endpoint's origin only; errors name `graphql({ http: { … } })`.
      const client = httpClient({ ...options.http, ...(o.auth ? { auth: o.auth } : {}), clock: o.clock, credentialOrigins: [o.origin], optionsPath: 'graphql.http' })
      const url = client.redact(redactUrl(o.endpoint, { params: [...(o.auth?.secretParams ?? []), ...(options.http?.redactParams ?? [])] }))
      const reading: ReadPageOptions = { table: o.table, connection: o.connection, throttledCodes: o.throttledCodes, url, redact: client.redact }
      const midState = (): State => {
        if (!run) return stateJson({}, undefined, after)
        const progress = run.progress()
        return stateJson(progress.saved, progress.run, progress.run ? after : null)
      }
      try {
        for (;;) {
          const variables: Record<string, Json> = { ...options.variables, ...selected.variables, [o.first]: o.pageSize, [o.after]: after }
          if (inc) variables[inc.param!] = (bound ? bound.value : run!.from) ?? null
          const { page, date } = await retry(
            async () => {
              const response = await client.requestJson({ method: 'POST', url: o.endpoint, json: { query: options.query, variables }, signal, retry: false })
              return { page: readConnectionPage(response.data, reading), date: responseDate(response.headers) }
            },
            o.retry,
            { clock: o.clock, signal },
          )
          if (page.errors.length > 0) {
            if (o.onPartialData === 'fail') {
              throw graphqlErrors(reading, page.errors, 'GRAPHQL_PARTIAL', "returned partial data (errors next to data); set onPartialData: 'continue' to keep the data and record the errors")
            }
            const partial = graphqlErrors(reading, page.errors, 'GRAPHQL_PARTIAL', 'returned partial data')
            recordError({ kind: 'request', table: o.table, code: partial.code, message: partial.message, context: { ...partial.context, variables: pageVariables(variables, o), nullNodes: page.nullNodes } })
          }
          run?.markStart(date)
          const nodes = run ? page.nodes.filter((node) => accept(run, node as Row, o.table)) : page.nodes
          if (nodes.length > 0) yield emit(selected.project ? selected.project(nodes as Row[]) : nodes)
          if (!page.hasNextPage) break
          if (bound) bound.advance(page.nodes, o.pageSize)
          else {
            if (page.endCursor === null || page.endCursor === after) throw loop(o.table, url, after, page.endCursor)
            after = page.endCursor
          }
          yield op.checkpoint(midState())
        }
        yield op.checkpoint(run ? stateJson(run.completed(), undefined, null) : {})
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
  readonly onPartialData: 'fail' | 'continue'
  readonly throttledCodes: ReadonlySet<string>
  readonly retry: RetryPolicy
  readonly clock: Clock
  readonly fieldsVariable: string | undefined
  /** The incremental settings, the variable as `param`. */
  readonly incremental: IncrementalConfig | undefined
  readonly paging: GraphqlPaging
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
  if (options.keyset !== undefined && typeof options.keyset !== 'boolean') throw configInvalid('graphql.keyset', 'true or false', options.keyset)
  const incremental = inc === undefined ? undefined : incrementalConfig(inc)
  return {
    incremental,
    paging: graphqlPaging({ table: options.table, incremental, keyset: options.keyset === true }),
    endpoint,
    origin,
    table: options.table,
    connection: options.connection.split('.'),
    pageSize: positiveInteger('graphql.pageSize', options.pageSize ?? 100),
    first,
    after,
    auth,
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

/** The shared incremental settings of `incremental`: the variable is the bound's `param`; nodes without a cursor are written. */
function incrementalConfig(inc: GraphqlIncremental): IncrementalConfig {
  if (inc.sorted !== undefined && typeof inc.sorted !== 'boolean') throw configInvalid('graphql.incremental.sorted', 'true or false', inc.sorted)
  const initial = inc.initial === null ? undefined : (inc.initial as string | number | undefined)
  return parseIncremental({ cursor: inc.cursor, param: inc.variable, ...(initial !== undefined ? { initial } : {}), onMissing: 'include', ...(inc.sorted ? { sorted: 'asc' as const } : {}) }, 'graphql.incremental')
}

/** Whether to write `node`; a sorted stream's order check is named as `graphql()` has it. */
function accept(run: IncrementalRun, node: Row, table: string): boolean {
  try {
    return run.accept(node)
  } catch (error) {
    if (!isSluiceError(error) || error.code !== 'CURSOR_UNSORTED') throw error
    throw new SluiceError({
      code: 'GRAPHQL_UNSORTED',
      message: `graphql(${table}): incremental.sorted is set but ${error.message.replace(/^[^:]*: /, '').replace(/; remove sorted.*$/, '')}; sort the query ascending by the cursor (e.g. orderBy: UPDATED_AT), or unset sorted and set keyset: true if endCursor continues after the last node returned`,
      context: { ...error.context, table },
      cause: error,
    })
  }
}

/** The variables worth recording (page and bound only: user variables may hold anything). */
function pageVariables(variables: Record<string, Json>, o: Checked): Record<string, Json> {
  const out: Record<string, Json> = { [o.first]: variables[o.first]!, [o.after]: variables[o.after]! }
  if (o.incremental) out[o.incremental.param!] = variables[o.incremental.param!]!
  return out
}

function loop(table: string, url: string, after: string | null, endCursor: string | null): SluiceError {
  return new SluiceError({
    code: 'PAGINATION_LOOP',
    message: `graphql(${table}): POST ${url} says hasNextPage but ${endCursor === null ? 'gives no endCursor' : `returned the same endCursor ${JSON.stringify(endCursor)} as the page before`}; select pageInfo { hasNextPage endCursor } and pass $after to the connection`,
    context: { url, after, endCursor },
  })
}

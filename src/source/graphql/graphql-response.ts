import type { RowInput } from '../../core/batch.js'
import { SluiceError } from '../../core/sluice-error.js'

/**
 * One entry of a GraphQL response's `errors`, reduced to what helps: message, path and code
 * (`extensions.code`, or GitHub's `type`).
 *
 * @example
 * ```ts
 * import type { GraphqlErrorItem } from 'sluice'
 * const e: GraphqlErrorItem = { message: 'Throttled', code: 'THROTTLED' }
 * ```
 */
export interface GraphqlErrorItem {
  readonly message: string
  readonly path?: readonly (string | number)[]
  readonly code?: string
}

/** A page of a Relay connection, with the errors that came with it (partial data) if any. */
export interface ConnectionPage {
  /** The nodes that are objects; null nodes (nulled by an error) are left out and counted. */
  readonly nodes: RowInput[]
  readonly nullNodes: number
  readonly hasNextPage: boolean
  readonly endCursor: string | null
  readonly errors: readonly GraphqlErrorItem[]
}

/** How to read a response: where the connection is, which codes mean throttled, how to name the request. */
export interface ReadPageOptions {
  readonly table: string
  /** Path from the response root, e.g. ['data', 'orders']. */
  readonly connection: readonly string[]
  readonly throttledCodes: ReadonlySet<string>
  /** The redacted endpoint, for messages. */
  readonly url: string
  /** Hides secrets in server-provided text. */
  readonly redact: (text: string) => string
}

/**
 * Reads one GraphQL response body as a Relay connection page (`edges { node }` or `nodes`, plus
 * `pageInfo { hasNextPage endCursor }`). Throws `GRAPHQL_THROTTLED` (retryable, with the wait Shopify-style
 * cost data asks for) when an error is throttling, `GRAPHQL_ERRORS` when errors left no connection, and
 * `GRAPHQL_SHAPE` when the connection is not where `connection` says. Errors next to usable data are returned
 * in `errors` (partial data) for the caller's policy.
 *
 * @example
 * ```ts
 * import { readConnectionPage } from './graphql-response.js'
 * const page = readConnectionPage(
 *   { data: { orders: { nodes: [{ id: 1 }], pageInfo: { hasNextPage: false, endCursor: 'c1' } } } },
 *   { table: 'orders', connection: ['data', 'orders'], throttledCodes: new Set(['THROTTLED']), url: 'https://x/graphql', redact: (s) => s },
 * )
 * page.nodes // [{ id: 1 }]
 * ```
 */
export function readConnectionPage(body: unknown, o: ReadPageOptions): ConnectionPage {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw shape(o, `is not a GraphQL response object (got ${Array.isArray(body) ? 'an array' : body === null ? 'null' : typeof body})`)
  }
  const errors = errorItems((body as { errors?: unknown }).errors, o.redact)
  if (errors.some((e) => e.code !== undefined && o.throttledCodes.has(e.code))) throw throttled(o, errors, body)
  const connection = at(body, o.connection)
  if (connection === null || connection === undefined) {
    if (errors.length > 0) throw graphqlErrors(o, errors, 'GRAPHQL_ERRORS', 'returned GraphQL errors and no data')
    throw shape(o, `has no connection at ${o.connection.join('.')}; set \`connection\` to the path of the connection in the response, such as 'data.orders'`)
  }
  if (typeof connection !== 'object') throw shape(o, `has ${typeof connection} at ${o.connection.join('.')} where a connection object was expected`)
  const c = connection as { edges?: unknown; nodes?: unknown; pageInfo?: unknown }
  const list = Array.isArray(c.edges) ? c.edges.map((edge) => (edge as { node?: unknown } | null)?.node) : Array.isArray(c.nodes) ? c.nodes : undefined
  if (!list) throw shape(o, `has no edges or nodes list at ${o.connection.join('.')}; select \`edges { node { … } }\` or \`nodes { … }\``)
  const info = c.pageInfo as { hasNextPage?: unknown; endCursor?: unknown } | null | undefined
  if (typeof info?.hasNextPage !== 'boolean') throw shape(o, `has no pageInfo.hasNextPage at ${o.connection.join('.')}; select \`pageInfo { hasNextPage endCursor }\``)
  const endCursor = info.endCursor
  if (endCursor !== null && endCursor !== undefined && typeof endCursor !== 'string') throw shape(o, `has a pageInfo.endCursor that is not a string`)
  const nodes: RowInput[] = []
  let nullNodes = 0
  for (const node of list) {
    if (node === null || node === undefined) nullNodes++
    else if (typeof node === 'object' && !Array.isArray(node)) nodes.push(node)
    else throw shape(o, `has a node that is not an object (${typeof node}); select fields of the node type`)
  }
  if (nullNodes > 0 && errors.length === 0) throw shape(o, `has ${nullNodes} null node(s) without any error`)
  return { nodes, nullNodes, hasNextPage: info.hasNextPage, endCursor: endCursor ?? null, errors }
}

/**
 * Builds the `GRAPHQL_ERRORS` / `GRAPHQL_PARTIAL` error: the first messages with their paths and codes, redacted.
 *
 * @example
 * ```ts
 * import { graphqlErrors } from './graphql-response.js'
 * graphqlErrors({ table: 'orders', url: 'https://x/graphql' }, [{ message: 'boom' }], 'GRAPHQL_PARTIAL', 'returned partial data').code // 'GRAPHQL_PARTIAL'
 * ```
 */
export function graphqlErrors(o: Pick<ReadPageOptions, 'table' | 'url'>, errors: readonly GraphqlErrorItem[], code: 'GRAPHQL_ERRORS' | 'GRAPHQL_PARTIAL' | 'GRAPHQL_THROTTLED', what: string): SluiceError {
  const shown = errors
    .slice(0, 3)
    .map((e) => `"${e.message}"${e.path ? ` at ${e.path.join('.')}` : ''}${e.code ? ` (${e.code})` : ''}`)
    .join('; ')
  const more = errors.length > 3 ? ` and ${errors.length - 3} more` : ''
  return new SluiceError({
    code,
    message: `graphql(${o.table}): POST ${o.url} ${what}: ${shown}${more}`,
    context: { url: o.url, errors: errors.slice(0, 10) },
  })
}

function errorItems(raw: unknown, redact: (text: string) => string): GraphqlErrorItem[] {
  if (!Array.isArray(raw)) return []
  return raw.map((e: unknown) => {
    const item = (typeof e === 'object' && e !== null ? e : { message: String(e) }) as { message?: unknown; path?: unknown; extensions?: { code?: unknown }; type?: unknown }
    const code = typeof item.extensions?.code === 'string' ? item.extensions.code : typeof item.type === 'string' ? item.type : undefined
    const path = Array.isArray(item.path) ? item.path.filter((p): p is string | number => typeof p === 'string' || typeof p === 'number') : undefined
    return {
      message: redact(typeof item.message === 'string' ? item.message.slice(0, 500) : 'unknown error'),
      ...(path ? { path } : {}),
      ...(code ? { code } : {}),
    }
  })
}

/** Shopify-style cost data: the time until enough query cost is restored, ms. */
function costWaitMs(body: object): number | undefined {
  const cost = (body as { extensions?: { cost?: { requestedQueryCost?: unknown; throttleStatus?: { currentlyAvailable?: unknown; restoreRate?: unknown } } } }).extensions?.cost
  const requested = cost?.requestedQueryCost
  const available = cost?.throttleStatus?.currentlyAvailable
  const rate = cost?.throttleStatus?.restoreRate
  if (typeof requested !== 'number' || typeof available !== 'number' || typeof rate !== 'number' || !(rate > 0)) return undefined
  return Math.ceil((Math.max(0, requested - available) / rate) * 1000)
}

function throttled(o: ReadPageOptions, errors: readonly GraphqlErrorItem[], body: object): SluiceError {
  const retryAfterMs = costWaitMs(body)
  const error = graphqlErrors(o, errors, 'GRAPHQL_THROTTLED', `was throttled${retryAfterMs !== undefined ? ` (cost restores in ${retryAfterMs} ms)` : ''}`)
  return new SluiceError({ code: error.code, message: error.message, retryable: true, context: { ...error.context, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) } })
}

function shape(o: ReadPageOptions, problem: string): SluiceError {
  return new SluiceError({ code: 'GRAPHQL_SHAPE', message: `graphql(${o.table}): the response to POST ${o.url} ${problem}`, context: { url: o.url, connection: o.connection.join('.') } })
}

/** The value at a dotted path (already split), or undefined. */
export function at(value: unknown, path: readonly string[]): unknown {
  let current = value
  for (const key of path) {
    if (typeof current !== 'object' || current === null) return undefined
    current = (current as Record<string, unknown>)[key]
  }
  return current
}

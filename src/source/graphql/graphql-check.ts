import { checkPassed, type CheckResult, type SourceCheckArgs } from '../../contracts/check.js'
import type { Json } from '../../core/message.js'
import type { HttpClient } from '../../http/http-client.js'
import { httpCheckFailure } from '../http-check-failure.js'
import { readConnectionPage, type ReadPageOptions } from './graphql-response.js'

/**
 * The checks of a GraphQL source, each sent once (no retry): `{ __typename }` (the endpoint answers
 * and takes the credentials), then the stream's own query with a page of 1 (the query, its variables
 * and the connection path are right).
 *
 * @example
 * ```ts
 * import { httpClient } from '../../http/http-client.js'
 * import { graphqlCheck } from './graphql-check.js'
 * const results = await graphqlCheck({
 *   client: () => httpClient({}), endpoint: 'http://127.0.0.1:9/graphql', query: '{ orders { nodes { id } pageInfo { hasNextPage endCursor } } }',
 *   variables: {}, reading: { table: 'orders', connection: ['data', 'orders'], throttledCodes: new Set(), url: 'http://127.0.0.1:9/graphql' }, secrets: [],
 * }, { configuration: {}, signal: new AbortController().signal })
 * ```
 */
export async function graphqlCheck(
  args: {
    readonly client: () => HttpClient
    readonly endpoint: string
    readonly query: string
    readonly variables: Readonly<Record<string, Json>>
    /** How pages are read; `redact` and `url` come from the client (it knows the secrets). */
    readonly reading: Omit<ReadPageOptions, 'redact'>
    readonly secrets: readonly string[]
  },
  check: SourceCheckArgs,
): Promise<CheckResult[]> {
  const client = args.client()
  const reading: ReadPageOptions = { ...args.reading, url: client.redact(args.reading.url), redact: client.redact }
  const failure = (name: string, error: unknown) => httpCheckFailure(name, error, { configuration: check.configuration, secrets: args.secrets })
  const host = new URL(args.endpoint).host
  try {
    try {
      const response = await client.requestJson({ method: 'POST', url: args.endpoint, json: { query: '{ __typename }' }, signal: check.signal, retry: false })
      const data = (response.data as { data?: { __typename?: unknown } } | null)?.data
      if (typeof data?.__typename !== 'string') {
        return [{ name: 'graphql: endpoint', ok: false, message: `${host} answered { __typename } without data: is ${reading.url} a GraphQL endpoint?`, hint: 'check the endpoint option', code: 'GRAPHQL_SHAPE' }]
      }
    } catch (error) {
      return [failure('graphql: endpoint', error)]
    }
    const results = [checkPassed('graphql: endpoint', `${host} answered { __typename }`)]
    const name = `${args.reading.table}: first page`
    try {
      const response = await client.requestJson({ method: 'POST', url: args.endpoint, json: { query: args.query, variables: args.variables }, signal: check.signal, retry: false })
      const page = readConnectionPage(response.data, reading)
      results.push(checkPassed(name, `the query returned ${page.nodes.length} node${page.nodes.length === 1 ? '' : 's'} at ${args.reading.connection.join('.')}`))
    } catch (error) {
      const mapped = failure(name, error)
      // A GraphQL error (bad field, bad variable) is the query's: the server said what is wrong.
      results.push(mapped.code?.startsWith('GRAPHQL_') ? { ...mapped, message: (error as Error).message, hint: 'check the query, its variables and the connection path' } : mapped)
    }
    return results
  } finally {
    await client.close()
  }
}

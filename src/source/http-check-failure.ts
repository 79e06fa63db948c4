import { isSluiceError } from '../core/sluice-error.js'
import type { CheckResult } from '../contracts/check.js'
import type { Configuration } from '../contracts/source.js'

/** The TLS failures Node reports by code (certificate chain, host name, handshake). */
const TLS_CODE = /^(CERT_|ERR_TLS_|ERR_SSL_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|HOSTNAME_MISMATCH|ERR_TLS_CERT_ALTNAME)/

/**
 * A failed check of an HTTP source's request, in words the user can act on: the layer that failed
 * (DNS, TCP, TLS, HTTP status, body) and what to change. `secrets` are the auth's secret values: a
 * configuration key holding one is named in the hint (`check \`api_token\` in configuration.json`),
 * the value never is.
 *
 * @example
 * ```ts
 * import { SluiceError } from '../core/sluice-error.js'
 * import { httpCheckFailure } from './http-check-failure.js'
 * const error = new SluiceError({ code: 'HTTP_STATUS', message: 'GET https://api.example.com/v1/orders returned 401', context: { status: 401, url: 'https://api.example.com/v1/orders' } })
 * httpCheckFailure('orders: first request', error, { configuration: { api_token: 'abc' }, secrets: ['abc'] }).message
 * // '401 from api.example.com: the credentials were rejected'
 * ```
 */
export function httpCheckFailure(name: string, error: unknown, args: { readonly configuration: Configuration; readonly secrets: readonly string[] }): CheckResult {
  if (!isSluiceError(error)) return { name, ok: false, message: error instanceof Error ? error.message : String(error) }
  const context = error.context as { status?: unknown; url?: unknown; networkCode?: unknown }
  const url = typeof context.url === 'string' ? safeUrl(context.url) : undefined
  const host = url?.host ?? 'the server'
  const fail = (message: string, hint: string): CheckResult => ({ name, ok: false, message, hint, code: error.code })
  const credentialKeys = Object.entries(args.configuration)
    .filter(([, value]) => value !== '' && args.secrets.includes(value))
    .map(([key]) => `\`${key}\``)
  const credentials = credentialKeys.length > 0 ? `check ${credentialKeys.join(', ')} in configuration.json` : 'check the auth option of the source'
  if (error.code === 'HTTP_STATUS' && typeof context.status === 'number') {
    const status = context.status
    const path = url?.pathname ?? ''
    if (status === 401) return fail(`${status} from ${host}: the credentials were rejected`, `${credentials} (expired, revoked or mistyped?)`)
    if (status === 403) return fail(`${status} from ${host}: the credentials are not allowed to read ${path}`, `${credentials}: the token needs the scope or role that reads ${path}`)
    if (status === 404) return fail(`${status} from ${host}: ${path} does not exist`, 'check baseUrl and the stream\'s path')
    if (status === 407) return fail(`${status} from ${host}: a proxy wants credentials`, 'configure the proxy or go around it')
    if (status === 429) return fail(`${status} from ${host}: rate limited`, 'the API answers but throttles now: run the check again later, or lower the rate')
    if (status >= 500) return fail(`${status} from ${host}: the server failed`, 'the API is reachable but broken now: try again later')
    return fail(`${status} from ${host}: ${error.message}`, 'check the stream\'s path and params')
  }
  if (error.code === 'HTTP_NETWORK' || error.code === 'HTTP_TIMEOUT') {
    const code = typeof context.networkCode === 'string' ? context.networkCode : undefined
    const port = url ? url.port || (url.protocol === 'https:' ? '443' : '80') : undefined
    const at = url ? `${url.hostname}:${port}` : host
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return fail(`DNS: ${url?.hostname ?? 'the host'} was not found`, 'check the host in baseUrl (a typo, or a name only an internal DNS knows)')
    if (code === 'ECONNREFUSED') return fail(`TCP: ${at} refused the connection`, 'is the API up on that port? check baseUrl and firewall rules')
    if (code !== undefined && TLS_CODE.test(code)) return fail(`TLS: the certificate of ${url?.hostname ?? 'the host'} was not accepted (${code})`, 'check the host name in baseUrl; a self-signed certificate needs NODE_EXTRA_CA_CERTS')
    if (error.code === 'HTTP_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'ETIMEDOUT') return fail(`TCP: ${at} did not answer in time`, 'a firewall may drop the packets: check firewall rules and that the host is reachable from here')
    return fail(`network: ${error.message}`, 'check baseUrl, the network and firewall rules')
  }
  if (error.code === 'HTTP_BODY') return fail(`${host} answered, but not with what the stream expects: ${error.message}`, 'check the stream\'s records path and that the endpoint returns JSON')
  return fail(error.message, 'see the message')
}

function safeUrl(text: string): URL | undefined {
  try {
    return new URL(text)
  } catch {
    return undefined
  }
}

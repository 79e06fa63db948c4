import type { Dispatcher } from 'undici'
import { SluiceError } from '../../core/sluice-error.js'
import { systemClock, type Clock } from '../../core/clock.js'
import { knownOptions, nonNegativeMs, oneOf, positiveMs } from '../../core/check-option.js'
import { retryAfterFromHeaders } from '../../retry/retry-after.js'
import { httpBodyError, httpNetworkError, httpStatusError, httpTotalTimeoutError, type RequestLabel } from '../http-error.js'
import { readBody } from '../read-body.js'
import { redactSecrets, redactUrl } from '../redact.js'
import { requestDeadline } from '../request-deadline.js'
import type { Auth } from './auth.js'
import { requireSecret } from './require-secret.js'

/**
 * Options for `oauth2ClientCredentials`: token endpoint, client credentials, scope and caching.
 * Copy tokenUrl, scope and audience from the API's OAuth docs.
 *
 * @example
 * ```ts
 * import type { OAuth2ClientCredentialsOptions } from 'sluice'
 * const options: OAuth2ClientCredentialsOptions = { tokenUrl: 'https://auth.example.com/token', clientId: 'etl', clientSecret: 'cs_123456', scope: 'read' }
 * ```
 */
export interface OAuth2ClientCredentialsOptions {
  readonly tokenUrl: string
  readonly clientId: string
  readonly clientSecret: string
  readonly scope?: string
  readonly audience?: string
  /** Extra form fields for the token request (e.g. `resource`). */
  readonly extraParams?: Readonly<Record<string, string>>
  /** 'basic': HTTP Basic (RFC 6749 default); 'body': client_id/client_secret form fields. Default 'basic'. */
  readonly clientAuth?: 'basic' | 'body'
  /** Renew this long before `expires_in` runs out, ms. Default 60_000 (at most half the lifetime). */
  readonly expiryMarginMs?: number
  /** Time limit of a whole token request (and so of its headers and body), ms. Default 30_000. */
  readonly timeoutMs?: number
  /** Default `systemClock`. */
  readonly clock?: Clock
  /** undici dispatcher for the token request. Default: undici's global dispatcher. */
  readonly dispatcher?: Dispatcher
}

const TIMEOUT_OPTION = 'oauth2ClientCredentials({ timeoutMs })'

interface Token {
  readonly value: string
  readonly renewAt: number
}

/**
 * OAuth2 client-credentials auth: fetches a token from `tokenUrl`, caches it until shortly before it expires,
 * shares one fetch between concurrent requests, and refreshes once when the API answers 401.
 * Use it for machine-to-machine APIs that issue short-lived tokens for a client id and secret.
 *
 * @example
 * ```ts
 * import { oauth2ClientCredentials } from 'sluice'
 * const auth = oauth2ClientCredentials({ tokenUrl: 'https://auth.example.com/oauth/token', clientId: 'etl', clientSecret: 'cs_123456' })
 * ```
 */
export function oauth2ClientCredentials(options: OAuth2ClientCredentialsOptions): Auth {
  knownOptions(options, { tokenUrl: true, clientId: true, clientSecret: true, scope: true, audience: true, extraParams: true, clientAuth: true, expiryMarginMs: true, timeoutMs: true, clock: true, dispatcher: true }, 'oauth2ClientCredentials')
  const tokenUrl = new URL(requireSecret('oauth2ClientCredentials.tokenUrl', options?.tokenUrl))
  const clientId = requireSecret('oauth2ClientCredentials.clientId', options.clientId)
  const clientSecret = requireSecret('oauth2ClientCredentials.clientSecret', options.clientSecret)
  const clientAuth = oneOf('oauth2ClientCredentials.clientAuth', options.clientAuth ?? 'basic', ['basic', 'body'] as const)
  const marginMs = nonNegativeMs('oauth2ClientCredentials.expiryMarginMs', options.expiryMarginMs ?? 60_000)
  const timeoutMs = positiveMs('oauth2ClientCredentials.timeoutMs', options.timeoutMs ?? 30_000)
  const clock = options.clock ?? systemClock
  const basic = Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')
  const issued: string[] = [] // recent tokens, kept only so they can be redacted
  let token: Token | undefined
  let pending: Promise<Token> | undefined

  const secrets = (): string[] => [clientSecret, basic, ...issued]
  const redact = (text: string): string => redactSecrets(text, secrets())
  const label: RequestLabel = { method: 'POST', url: redactUrl(tokenUrl, { secrets: secrets() }) }

  async function fetchToken(signal: AbortSignal | undefined): Promise<Token> {
    const form = new URLSearchParams({ grant_type: 'client_credentials' })
    if (options.scope) form.set('scope', options.scope)
    if (options.audience) form.set('audience', options.audience)
    for (const [k, v] of Object.entries(options.extraParams ?? {})) form.set(k, v)
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }
    if (clientAuth === 'basic') headers['authorization'] = `Basic ${basic}`
    else {
      form.set('client_id', clientId)
      form.set('client_secret', clientSecret)
    }
    let res: Dispatcher.ResponseData
    let body: Buffer | undefined
    const deadline = requestDeadline(timeoutMs, signal) // a token endpoint trickling bytes must not hold the sync
    try {
      const { request } = await import('undici') // with the first token, not with sluice (README, cold-start)
      res = await request(tokenUrl, {
        method: 'POST', headers, body: form.toString(), signal: deadline.signal,
        headersTimeout: timeoutMs, bodyTimeout: timeoutMs,
        ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}),
      })
      body = await readBody(res.body, { encoding: headerText(res.headers['content-encoding']), maxBytes: 1024 * 1024, overflow: 'truncate' })
    } catch (error) {
      if (signal?.aborted) throw new SluiceError({ code: 'ABORTED', message: 'aborted while fetching an OAuth2 token', cause: signal.reason })
      if (deadline.timedOut()) throw httpTotalTimeoutError(label, timeoutMs, TIMEOUT_OPTION)
      throw httpNetworkError(label, error, { connectMs: timeoutMs, headersMs: timeoutMs, bodyMs: timeoutMs }, () => TIMEOUT_OPTION)
    } finally {
      deadline.clear()
    }
    // Token responses carry the token itself: never quote them; only the RFC 6749 error fields are shown.
    const parsed = parseObject(body)
    if (res.statusCode >= 300) {
      const fields = [parsed?.['error'], parsed?.['error_description']].filter((v) => typeof v === 'string').join(': ')
      const base = httpStatusError(label, {
        status: res.statusCode,
        ...(fields ? { excerpt: redact(fields).slice(0, 200) } : {}),
        ...optionalRetryAfter(retryAfterFromHeaders(res.headers, { now: clock.now(), status: res.statusCode })),
      })
      const advice = res.statusCode === 400 || res.statusCode === 401 ? ' — check clientId, clientSecret, scope and tokenUrl' : ''
      throw new SluiceError({ code: base.code, message: `OAuth2 token request: ${base.message}${advice}`, retryable: base.retryable, context: base.context })
    }
    const value = parsed?.['access_token']
    if (typeof value !== 'string' || value === '') {
      throw httpBodyError(label, { status: res.statusCode, problem: 'has no access_token string; check tokenUrl points at the token endpoint' })
    }
    issued.push(value)
    if (issued.length > 8) issued.shift()
    const expiresIn = Number(parsed?.['expires_in'])
    const lifetimeMs = Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn * 1000 : Number.POSITIVE_INFINITY
    return { value, renewAt: clock.now() + lifetimeMs - Math.min(marginMs, lifetimeMs / 2) }
  }

  function currentToken(signal: AbortSignal | undefined): Promise<Token> {
    if (token && clock.now() < token.renewAt) return Promise.resolve(token)
    pending ??= fetchToken(signal).then(
      (fresh) => {
        token = fresh
        pending = undefined
        return fresh
      },
      (error: unknown) => {
        pending = undefined
        throw error
      },
    )
    return pending
  }

  return {
    async apply({ headers, signal }) {
      headers['authorization'] = `Bearer ${(await currentToken(signal)).value}`
    },
    async refresh({ signal }) {
      token = undefined
      await currentToken(signal)
    },
    secrets,
  }
}

function parseObject(body: Buffer | undefined): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(body?.toString('utf8') ?? '')
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value
}

function optionalRetryAfter(ms: number | undefined): { retryAfterMs?: number } {
  return ms === undefined ? {} : { retryAfterMs: ms }
}

import { isSluiceError, SluiceError } from '../core/sluice-error.js'
import { httpClient, type HttpClient } from '../http/http-client.js'
import { redactSecrets } from '../http/redact.js'
import { exponentialBackoff, type RetryPolicy } from '../retry/backoff.js'
import { knownOptions, positiveInteger, positiveMs } from '../core/check-option.js'
import type { Clock } from '../core/clock.js'
import { jsonLogger } from '../log/json-logger.js'
import type { Logger } from '../log/logger.js'
import type { Alert, AlertEvent } from './alert.js'

/**
 * Options of {@link webhook}, with defaults.
 *
 * @example
 * ```ts
 * import type { WebhookOptions } from 'sluice'
 * const options: WebhookOptions = { url: 'https://hooks.example.com/sluice', headers: { authorization: 'Bearer …' }, maxQueue: 50 }
 * ```
 */
export interface WebhookOptions {
  /** Where to POST. Treated as secret past its origin (chat webhook URLs carry tokens in the path). */
  readonly url: string
  /** Sent with every post, e.g. for auth; never logged. */
  readonly headers?: Readonly<Record<string, string>>
  /** Per alert. Default exponentialBackoff({ initialMs: 1000, maxMs: 30_000, attempts: 5 }). */
  readonly retry?: RetryPolicy
  /** Time to wait for the response headers and between body chunks, ms. Default 10_000. */
  readonly timeoutMs?: number
  /** Alerts waiting beyond this many drop the oldest. Default 100. */
  readonly maxQueue?: number
  /** Where delivery failures are reported (without URL path or headers). Default `jsonLogger()`. */
  readonly logger?: Logger
  /** For retry waits. Default `systemClock`. */
  readonly clock?: Clock
}

/**
 * An alert that POSTs each event as JSON (`AlertEvent`: connector, type, status, error code and
 * message, rows, MAR) to a URL, retrying per `retry` through the shared HTTP client. Delivery is
 * fire-and-forget from a bounded queue, one post at a time: `notify` never blocks or throws, a
 * dead endpoint never fails or slows a sync, and a failure is logged without the URL path or the
 * headers. `flush()` waits for the queue (tests, shutdown).
 *
 * @example
 * ```ts
 * import { createConnector, fromIterable, log, memory, webhook } from 'sluice'
 * const connector = createConnector({
 *   id: 'shop',
 *   source: fromIterable('t', [{ id: 1 }], { primaryKey: ['id'] }),
 *   destination: memory(),
 *   alerts: [webhook({ url: 'https://hooks.example.com/sluice', headers: { authorization: 'Bearer tok_123456' } }), log()],
 * })
 * ```
 */
export function webhook(options: WebhookOptions): Alert {
  knownOptions(options, { url: true, headers: true, retry: true, timeoutMs: true, maxQueue: true, logger: true, clock: true }, 'webhook')
  let target: URL
  try {
    target = new URL(options?.url)
  } catch {
    throw new SluiceError({ code: 'CONFIG_INVALID', message: '`webhook.url` must be an absolute http(s) URL', context: { option: 'webhook.url' } })
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') {
    throw new SluiceError({ code: 'CONFIG_INVALID', message: `\`webhook.url\` must use http or https, got ${target.protocol}`, context: { option: 'webhook.url' } })
  }
  const maxQueue = positiveInteger('webhook.maxQueue', options.maxQueue ?? 100)
  const timeoutMs = positiveMs('webhook.timeoutMs', options.timeoutMs ?? 10_000)
  const policy = options.retry ?? exponentialBackoff({ initialMs: 1000, maxMs: 30_000, attempts: 5 })
  const headers = { ...(options.headers ?? {}) }
  const logger = options.logger ?? jsonLogger()
  // Everything past the origin may be a credential: a Slack/Teams URL path is one.
  const secrets = [target.href, target.pathname.length > 4 ? target.pathname : '', target.search, ...Object.values(headers)].filter((s) => s.length >= 4)
  const origin = target.origin

  const queue: AlertEvent[] = []
  let client: HttpClient | undefined
  let draining: Promise<void> | undefined
  let dropped = 0

  const deliver = async (event: AlertEvent) => {
    client ??= httpClient({ headers, credentialOrigins: [origin], timeouts: { headersMs: timeoutMs, bodyMs: timeoutMs, connectMs: timeoutMs }, ...(options.clock ? { clock: options.clock } : {}) })
    try {
      await client.request({ method: 'POST', url: target, json: event, retry: policy })
    } catch (error) {
      const code = isSluiceError(error) ? error.code : 'INTERNAL'
      const cause = isSluiceError(error) && isSluiceError(error.cause) ? `; last: ${error.cause.code}` : ''
      logger.warn(
        { alert: 'webhook', target: origin, type: event.type, connector: event.connector, code: `${code}${cause}`, error: redactSecrets((error as Error).message ?? String(error), secrets) },
        'webhook alert not delivered',
      )
    }
  }
  const drain = async () => {
    for (let event = queue.shift(); event; event = queue.shift()) await deliver(event)
    draining = undefined
  }

  return {
    name: 'webhook',
    notify(event) {
      if (queue.length >= maxQueue) {
        queue.shift()
        if (dropped++ === 0) logger.warn({ alert: 'webhook', target: origin, maxQueue }, 'webhook alert queue full: dropping the oldest alerts')
      } else dropped = 0
      queue.push(event)
      draining ??= drain()
    },
    async flush() {
      while (draining) await draining
    },
    async close() {
      while (draining) await draining
      await client?.close()
      client = undefined
    },
  }
}

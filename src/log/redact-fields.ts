import { isSluiceError } from '../core/sluice-error.js'
import { redactSecrets } from '../http/redact.js'
import type { Logger, LogFields } from './logger.js'
import { knownOptions } from '../core/check-option.js'

const MARK = '[REDACTED]'

/**
 * Field names whose values are always hidden in logs (case-insensitive, at any depth).
 * `headers` is among them: authentication headers are secrets.
 */
export const SECRET_KEYS: readonly string[] = [
  'authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'headers', 'password', 'passwd', 'pwd', 'secret',
  'client_secret', 'clientsecret', 'token', 'access_token', 'accesstoken', 'refresh_token', 'refreshtoken', 'api_key',
  'apikey', 'api-key', 'x-api-key', 'salt', 'private_key', 'privatekey',
]

/**
 * What to hide: field names (on top of `SECRET_KEYS`) and secret values (cut out of every string).
 *
 * @example
 * ```ts
 * import type { RedactList } from 'sluice'
 * const redact: RedactList = { keys: ['ssn'], values: [process.env.API_TOKEN ?? ''] }
 * ```
 */
export interface RedactList {
  readonly keys?: readonly string[]
  readonly values?: readonly string[]
}

/**
 * A JSON-safe copy of `value` with secret fields replaced by `[REDACTED]` and secret values cut
 * out of strings. Errors become `{ type, message, code? }` (a `SluiceError` its `toJSON()`), and
 * bigints text, so a log line never throws and never carries a stack's worth of context by surprise.
 * Use it on anything leaving the process: log lines, alert payloads.
 *
 * @example
 * ```ts
 * import { redactFields } from './redact-fields.js'
 * redactFields({ url: 'https://x', headers: { authorization: 'Bearer abc' } }) // { url: 'https://x', headers: '[REDACTED]' }
 * ```
 */
export function redactFields<T>(value: T, redact: RedactList = {}): T {
  knownOptions(redact, { keys: true, values: true }, 'redact')
  const keys = new Set([...SECRET_KEYS, ...(redact.keys ?? [])].map((k) => k.toLowerCase()))
  const values = (redact.values ?? []).filter((v) => typeof v === 'string' && v.length > 0)
  const seen = new WeakSet<object>()
  const walk = (v: unknown, depth: number): unknown => {
    if (typeof v === 'string') return values.length ? redactSecrets(v, values) : v
    if (typeof v === 'bigint') return v.toString()
    if (typeof v !== 'object' || v === null) return typeof v === 'function' || typeof v === 'symbol' ? undefined : v
    if (seen.has(v) || depth > 8) return '[…]'
    seen.add(v)
    if (isSluiceError(v)) return walk(v.toJSON(), depth + 1)
    if (v instanceof Error) return walk({ type: v.name, message: v.message, ...((v as { code?: unknown }).code !== undefined ? { code: (v as { code?: unknown }).code } : {}) }, depth + 1)
    if (v instanceof Date) return v.toISOString()
    if (ArrayBuffer.isView(v)) return `[${v.byteLength} bytes]`
    if (Array.isArray(v)) return v.map((x) => walk(x, depth + 1))
    const out: Record<string, unknown> = {}
    for (const [k, x] of Object.entries(v)) out[k] = keys.has(k.toLowerCase()) ? MARK : walk(x, depth + 1)
    return out
  }
  return walk(value, 0) as T
}

/**
 * Wraps a logger so every line it gets is redacted first (fields and message), whatever logger
 * it is: pass your pino logger through it to keep tokens and passwords out of its output.
 *
 * @example
 * ```ts
 * import { jsonLogger, redactLogger } from 'sluice'
 * const logger = redactLogger(jsonLogger(), { values: ['tok_123456'] })
 * logger.info({ note: 'used tok_123456' }, 'sync') // … "note":"used [REDACTED]" …
 * ```
 */
export function redactLogger(logger: Logger, redact: RedactList = {}): Logger {
  knownOptions(redact, { keys: true, values: true }, 'redact')
  const values = (redact.values ?? []).filter((v) => typeof v === 'string' && v.length > 0)
  const line = (level: keyof Logger) => (fields: LogFields, message?: string) => {
    const safe = redactFields(fields ?? {}, redact) as LogFields
    if (message === undefined) logger[level](safe)
    else logger[level](safe, values.length ? redactSecrets(message, values) : message)
  }
  return { debug: line('debug'), info: line('info'), warn: line('warn'), error: line('error') }
}

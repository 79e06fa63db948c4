import type { Row } from '../core/batch.js'
import type { ErrorRecord } from '../core/error-record.js'
import { isSluiceError } from '../core/sluice-error.js'

/**
 * Where a failed request went and what it got back, taken from the error (or the errors it wraps):
 * the redacted `url` and `method` the HTTP client puts in its errors, and the HTTP `status`.
 * Used to give `_sluice_errors` rows their request context without ever reading a secret.
 *
 * @example
 * ```ts
 * import { SluiceError } from 'sluice'
 * import { requestContext } from './request-error-record.js'
 * requestContext(new SluiceError({ code: 'HTTP_STATUS', message: '500', context: { status: 500, url: 'https://x/o' } }))
 * // { url: 'https://x/o', status: 500 }
 * ```
 */
export function requestContext(error: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  let current: unknown = error
  for (let depth = 0; depth < 6 && current !== undefined && current !== null; depth++) {
    if (isSluiceError(current)) {
      const context = current.context
      // The HTTP client only ever stores redacted URLs in `context.url`.
      if (out.url === undefined && typeof context.url === 'string') out.url = context.url
      if (out.method === undefined && typeof context.method === 'string') out.method = context.method
      if (out.status === undefined && typeof context.status === 'number') out.status = context.status
      if (out.attempts === undefined && typeof context.attempts === 'number') out.attempts = context.attempts
    }
    current = (current as { cause?: unknown }).cause
  }
  return out
}

/** The innermost useful error code: a wrapper such as `RETRY_EXHAUSTED` is reported by its last error's code. */
function codeOf(error: unknown): string {
  if (!isSluiceError(error)) return (error as { code?: unknown } | null)?.code ? String((error as { code: unknown }).code) : 'FETCH_FAILED'
  if (error.code === 'RETRY_EXHAUSTED' && isSluiceError(error.cause)) return error.cause.code
  return error.code
}

/**
 * Builds the `_sluice_errors` row for a request a source skipped under `onError: 'continue'`:
 * code and message of the failure, the request's parameters, and its redacted URL/status when the error carries them.
 *
 * @example
 * ```ts
 * import { requestErrorRecord } from './request-error-record.js'
 * requestErrorRecord({ table: 'orders', error: new Error('boom'), parameters: { after: 41, size: 1 }, record: { id: 42 } })
 * ```
 */
export function requestErrorRecord(args: {
  readonly table: string
  readonly error: unknown
  readonly parameters: Readonly<Record<string, unknown>>
  readonly record?: Row
}): ErrorRecord {
  const { error } = args
  return {
    kind: 'request',
    table: args.table,
    code: codeOf(error),
    message: error instanceof Error ? error.message : String(error),
    context: { ...args.parameters, ...requestContext(error) },
    ...(args.record ? { record: args.record } : {}),
  }
}

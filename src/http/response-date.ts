import type { ResponseHeaders } from '../retry/retry-after.js'

/**
 * The response's `Date` header in ms, when it has a valid one.
 *
 * @example
 * ```ts
 * import { responseDate } from './response-date.js'
 * responseDate({ date: 'Sun, 22 Nov 2026 12:00:00 GMT' }) // 1795348800000
 * ```
 */
export function responseDate(headers: ResponseHeaders): number | undefined {
  const raw = headers['date']
  const ms = Date.parse(typeof raw === 'string' ? raw : (raw?.[0] ?? ''))
  return Number.isFinite(ms) ? ms : undefined
}

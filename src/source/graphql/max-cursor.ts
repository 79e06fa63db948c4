import type { Json } from '../../core/message.js'

const ISO_DATE = /^\d{4}-\d{2}-\d{2}/
/** An integer as text: compared as a bigint, exact beyond 2^53 (ids such as `"9007199254740993"`). */
const INTEGER = /^-?\d+$/
const DECIMAL = /^-?\d+(\.\d+)?$/

/**
 * The later of two cursor values (`undefined` when both are): numbers by value, two ISO-8601 instants by time
 * (so '2026-01-01T00:00:00Z' and '2026-01-01T00:00:00.000Z' compare equal in time), decimal text by value, other text by code units.
 * Used to track the largest cursor a stream returned, for the next sync's lower bound.
 *
 * @example
 * ```ts
 * import { maxCursor } from './max-cursor.js'
 * maxCursor('2026-01-02T00:00:00Z', '2026-01-01T23:00:00.000Z') // '2026-01-02T00:00:00Z'
 * ```
 */
export function maxCursor(current: Json | undefined, value: unknown): Json | undefined {
  if (typeof value !== 'number' && typeof value !== 'string') return current
  if (current === undefined || current === null) return value
  if (typeof value === 'number' && typeof current === 'number') return value > current ? value : current
  if (typeof value === 'string' && typeof current === 'string') {
    if (ISO_DATE.test(value) && ISO_DATE.test(current)) {
      const a = Date.parse(value)
      const b = Date.parse(current)
      if (Number.isFinite(a) && Number.isFinite(b) && a !== b) return a > b ? value : current
    }
    if (INTEGER.test(value) && INTEGER.test(current)) return BigInt(value) > BigInt(current) ? value : current // every digit counts
    if (DECIMAL.test(value) && DECIMAL.test(current)) return Number(value) > Number(current) ? value : current
    return value > current ? value : current
  }
  return current // mixed kinds: keep what we had rather than guess
}

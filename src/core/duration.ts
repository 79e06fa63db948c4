import { SluiceError } from './sluice-error.js'

/** A duration as milliseconds or text: `'50s'`, `'5m'`, `'1h30m'`, `'14 days'`, `'250ms'`. */
export type Duration = number | string

const UNIT_MS: Record<string, number> = {
  ms: 1,
  millisecond: 1,
  milliseconds: 1,
  s: 1000,
  sec: 1000,
  second: 1000,
  seconds: 1000,
  m: 60_000,
  min: 60_000,
  minute: 60_000,
  minutes: 60_000,
  h: 3_600_000,
  hour: 3_600_000,
  hours: 3_600_000,
  d: 86_400_000,
  day: 86_400_000,
  days: 86_400_000,
  w: 604_800_000,
  week: 604_800_000,
  weeks: 604_800_000,
}

const PART = /(\d+(?:\.\d+)?)\s*([a-z]+)/gy

/**
 * Parses a fixed-length duration into milliseconds; throws `CONFIG_INVALID` naming `what` on bad input.
 * Calendar units (months) are not fixed-length: use `calendarStep` for those.
 *
 * @example
 * ```ts
 * import { parseDuration } from './duration.js'
 * parseDuration('1h30m', 'deadline') // 5_400_000
 * ```
 */
export function parseDuration(value: Duration, what: string): number {
  if (typeof value === 'number') {
    if (Number.isFinite(value) && value >= 0) return value
    throw invalid(what, value)
  }
  const text = value.trim().toLowerCase()
  if (text === '') throw invalid(what, value)
  PART.lastIndex = 0
  let total = 0
  let consumed = 0
  while (consumed < text.length) {
    while (text[consumed] === ' ') consumed++
    if (consumed >= text.length) break
    PART.lastIndex = consumed
    const match = PART.exec(text)
    if (!match) throw invalid(what, value)
    const unit = UNIT_MS[match[2]!]
    if (unit === undefined) throw invalid(what, value)
    total += Number(match[1]) * unit
    consumed = PART.lastIndex
  }
  return total
}

function invalid(what: string, value: unknown): SluiceError {
  return new SluiceError({
    code: 'CONFIG_INVALID',
    message: `\`${what}\` must be a duration such as 500 (ms), '30s', '5m', '2h' or '14 days', got ${JSON.stringify(value)}`,
    context: { option: what },
  })
}

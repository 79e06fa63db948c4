/** Log levels, least to most severe. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error'

/** Structured fields of a log line. */
export type LogFields = Record<string, unknown>

/**
 * What sluice logs through: four levels, each `(fields, message)` — the signature of pino, so a
 * pino logger (or anything shaped like it: bunyan-style, a test spy) can be passed as it is.
 * Use `jsonLogger()` for the default JSON lines on stderr and `redactLogger` to hide secrets
 * from a logger of your own.
 *
 * @example
 * ```ts
 * import type { Logger } from 'sluice'
 * const lines: string[] = []
 * const logger: Logger = {
 *   debug: () => {},
 *   info: (fields, msg) => lines.push(`${msg} ${JSON.stringify(fields)}`),
 *   warn: (fields, msg) => lines.push(`${msg} ${JSON.stringify(fields)}`),
 *   error: (fields, msg) => lines.push(`${msg} ${JSON.stringify(fields)}`),
 * }
 * ```
 */
export interface Logger {
  /** Detail for debugging: each page, each retry's wait. */
  debug(fields: LogFields, message?: string): void
  /** What a run did: started, finished, rows. */
  info(fields: LogFields, message?: string): void
  /** Something to look at that did not fail the run: a retry, a skipped record. */
  warn(fields: LogFields, message?: string): void
  /** A failed run or a failure the run could not handle. */
  error(fields: LogFields, message?: string): void
}

/** Numeric rank of each level, for filtering. */
export const LEVELS: Readonly<Record<LogLevel, number>> = { debug: 20, info: 30, warn: 40, error: 50 }

/**
 * A logger that drops everything.
 * Use it to silence a connector (`createConnector({ logger: silentLogger })`).
 *
 * @example
 * ```ts
 * import { silentLogger } from 'sluice'
 * silentLogger.info({ rows: 1 }, 'nobody hears this')
 * ```
 */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} }

/**
 * True when `value` has the four methods of a `Logger`.
 * Used to validate `logger` options when a connector is built.
 *
 * @example
 * ```ts
 * import { silentLogger } from 'sluice'
 * import { isLogger } from './logger.js'
 * isLogger(silentLogger) // true
 * ```
 */
export function isLogger(value: unknown): value is Logger {
  const v = value as Partial<Logger> | null
  return typeof v === 'object' && v !== null && (['debug', 'info', 'warn', 'error'] as const).every((l) => typeof v[l] === 'function')
}

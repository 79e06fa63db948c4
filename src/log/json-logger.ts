import { SluiceError } from '../core/sluice-error.js'
import { LEVELS, type Logger, type LogFields, type LogLevel } from './logger.js'
import { redactFields, type RedactList } from './redact-fields.js'
import { redactSecrets } from '../http/redact.js'
import { knownOptions } from '../core/check-option.js'

/**
 * Options of {@link jsonLogger}, with defaults.
 *
 * @example
 * ```ts
 * import type { JsonLoggerOptions } from 'sluice'
 * const options: JsonLoggerOptions = { level: 'debug', base: { service: 'orders-sync' }, redact: { values: ['tok_123456'] } }
 * ```
 */
export interface JsonLoggerOptions {
  /** Lowest level written. Default 'info'. */
  readonly level?: LogLevel
  /** Where each line goes (with its `\n`). Default: stderr. */
  readonly write?: (line: string) => void
  /** Fields on every line (e.g. the service name). */
  readonly base?: LogFields
  /** Secret field names and values hidden from every line. */
  readonly redact?: RedactList
  /** Clock for the `time` field (ms since epoch). Default `Date.now`. */
  readonly now?: () => number
}

/**
 * The default logger: one JSON object per line on stderr — `{"level":"info","time":"…","msg":"…", …fields}` —
 * with secrets redacted (`SECRET_KEYS` plus `redact`). Same call shape as pino.
 * Use it where no logger of your own is wired in; pipe the lines to any log shipper.
 *
 * @example
 * ```ts
 * import { jsonLogger } from 'sluice'
 * const logger = jsonLogger({ level: 'debug' })
 * logger.info({ connector: 'shop', rows: 120 }, 'sync complete')
 * ```
 */
export function jsonLogger(options: JsonLoggerOptions = {}): Logger {
  knownOptions(options, { level: true, write: true, base: true, redact: true, now: true }, 'jsonLogger')
  const level = options.level ?? 'info'
  if (!Object.hasOwn(LEVELS, level)) {
    throw new SluiceError({ code: 'CONFIG_INVALID', message: `\`jsonLogger.level\` must be one of 'debug', 'info', 'warn', 'error', got ${JSON.stringify(level)}`, context: { option: 'jsonLogger.level' } })
  }
  const min = LEVELS[level]
  const write = options.write ?? ((line: string) => void process.stderr.write(line))
  const now = options.now ?? Date.now
  const base = options.base ?? {}
  const values = (options.redact?.values ?? []).filter((v) => typeof v === 'string' && v.length > 0)
  const line = (at: LogLevel) => (fields: LogFields, message?: string) => {
    if (LEVELS[at] < min) return
    const safe = redactFields({ ...base, ...(typeof fields === 'object' && fields !== null ? fields : { value: fields }) }, options.redact)
    const msg = message === undefined ? undefined : values.length ? redactSecrets(message, values) : message
    try {
      write(`${JSON.stringify({ level: at, time: new Date(now()).toISOString(), ...(msg !== undefined ? { msg } : {}), ...safe })}\n`)
    } catch {
      // Logging must never break the work it describes (a closed pipe, a full disk).
    }
  }
  return { debug: line('debug'), info: line('info'), warn: line('warn'), error: line('error') }
}

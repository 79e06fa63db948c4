import { jsonLogger } from '../log/json-logger.js'
import type { Logger } from '../log/logger.js'
import type { Alert } from './alert.js'
import { knownOptions } from '../core/check-option.js'

/**
 * Options of {@link logAlert}, exported from 'sluice' as `log`.
 *
 * @example
 * ```ts
 * import { jsonLogger, type LogAlertOptions } from 'sluice'
 * const options: LogAlertOptions = { logger: jsonLogger({ base: { service: 'etl' } }) }
 * ```
 */
export interface LogAlertOptions {
  /** Default `jsonLogger()` (JSON lines on stderr). */
  readonly logger?: Logger
}

/**
 * An alert that writes each event as one log line: `error` for a failure streak, `info` for a
 * recovery, `warn` for a MAR threshold. Synchronous and cheap; use it next to a webhook so
 * alerts also land in the service's logs (`alerts: [webhook(...), log()]`; exported from 'sluice' as `log`).
 *
 * @example
 * ```ts
 * import { log } from 'sluice'
 * const alert = log()
 * alert.notify({ type: 'syncRecovered', connector: 'shop', at: new Date().toISOString(), failures: 3 })
 * ```
 */
export function logAlert(options: LogAlertOptions = {}): Alert {
  knownOptions(options, { logger: true }, 'log')
  const logger = options.logger ?? jsonLogger()
  return {
    name: 'log',
    notify(event) {
      const fields = { alert: event.type, ...event }
      try {
        if (event.type === 'syncError') logger.error(fields, `connector ${event.connector}: sync failing (${event.error?.code ?? 'error'})`)
        else if (event.type === 'syncRecovered') logger.info(fields, `connector ${event.connector}: sync recovered after ${event.failures ?? 0} failed runs`)
        else logger.warn(fields, `connector ${event.connector}: MAR at ${Math.round((event.threshold?.fraction ?? 0) * 100)}% of the monthly budget`)
      } catch {
        // An alert must never fail the sync that raised it.
      }
    },
    async flush() {},
  }
}

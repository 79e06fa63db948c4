import { parseDuration, type Duration } from '../core/duration.js'
import { SluiceError } from '../core/sluice-error.js'
import type { Alert } from '../alert/alert.js'
import { jsonLogger } from '../log/json-logger.js'
import { isLogger, type Logger } from '../log/logger.js'
import { redactLogger, type RedactList } from '../log/redact-fields.js'
import { marSettings, type MarOptions } from '../mar/mar-options.js'
import type { MarStore } from '../contracts/mar-store.js'
import type { ConnectorStore } from '../contracts/connector-store.js'
import { systemClock, type Clock } from '../core/clock.js'
import { parseSchedule, type Schedule, type ScheduleSpec } from '../schedule/schedule.js'
import type { Sink } from '../contracts/sink.js'
import type { Configuration, SourceLike } from '../contracts/source.js'
import type { StateStore } from '../contracts/state-store.js'
import type { Stage } from '../contracts/stage.js'

/**
 * Options of `createConnector`: what to sync where (as for `sync()`), plus how to run it as a
 * service — schedule, MAR budget, alerts, logs, lease.
 *
 * @example
 * ```ts
 * import { fromIterable, sqlite, type ConnectorOptions } from 'sluice'
 * const options: ConnectorOptions = {
 *   id: 'shop',
 *   source: fromIterable('orders', [{ id: 1 }], { primaryKey: ['id'] }),
 *   destination: sqlite({ path: 'warehouse.db' }),
 *   schedule: { every: '15m', jitter: '30s' },
 *   mar: { budget: { monthly: 1_000_000 }, onExceed: 'stop' },
 * }
 * ```
 */
export interface ConnectorOptions {
  /** The connector id: key of its state, history, MAR, lease and pause flag in the destination. */
  readonly id: string
  readonly source: SourceLike
  readonly destination: Sink
  readonly stages?: readonly Stage[]
  /** When `start()` runs syncs. Needed for `start()` only. */
  readonly schedule?: ScheduleSpec
  readonly mar?: MarOptions
  readonly alerts?: readonly Alert[]
  /** pino-compatible. Default `jsonLogger()` (JSON lines on stderr). Wrapped to redact secrets either way. */
  readonly logger?: Logger
  /** Secret field names and values to keep out of logs and alerts (on top of `SECRET_KEYS`). */
  readonly redact?: RedactList
  readonly configuration?: Configuration
  readonly state?: StateStore
  /** Default deadline of each sync (serverless: a bit less than the platform's limit). */
  readonly deadline?: Duration
  readonly grace?: Duration
  /** How long a lease lasts unless renewed (default '60s'); a crashed process blocks the connector at most this long. */
  readonly lease?: { readonly ttl?: Duration }
  /** Time for scheduling, leases, jitter and MAR months. Default `systemClock`. */
  readonly clock?: Clock
  /**
   * Runs the connection checks (`check()`: the source's and the destination's) before syncing:
   * `'first'` before the first sync of this process (again after a failed check, until one passes),
   * `'always'` before every sync, `false` never (the default). A failed check runs no sync: the run
   * resolves to a `SkippedRun` with reason `CHECK_FAILED` and the results, and a schedule counts it failed.
   */
  readonly check?: 'first' | 'always' | false
  /** Jitter source in [0, 1). Default Math.random. */
  readonly random?: () => number
}

/** ConnectorOptions checked, with defaults. */
export interface ConnectorSettingsResolved {
  readonly schedule: Schedule | undefined
  readonly logger: Logger
  readonly clock: Clock
  readonly leaseTtlMs: number
  readonly alerts: readonly Alert[]
  readonly mar: MarOptions | undefined
  readonly check: 'first' | 'always' | false
}

function invalid(what: string, expected: string, value: unknown): SluiceError {
  const shown = typeof value === 'string' || typeof value === 'number' ? JSON.stringify(value) : value === undefined ? 'nothing' : typeof value
  return new SluiceError({ code: 'CONFIG_INVALID', message: `\`${what}\` must be ${expected}, got ${shown}`, context: { option: what } })
}

/** Validates `createConnector` options when the connector is built; throws `CONFIG_INVALID` or `MAR_UNAVAILABLE`. */
export function resolveConnectorOptions(options: ConnectorOptions): ConnectorSettingsResolved {
  if (typeof options?.id !== 'string' || options.id.trim() === '') throw invalid('createConnector.id', 'a non-empty string', options?.id)
  const sink = options.destination as (Sink & MarStore) | undefined
  if (!sink || typeof sink.write !== 'function' || typeof sink.checkpoint !== 'function') {
    throw invalid('createConnector.destination', 'a sink such as sqlite({ path }) or memory()', sink)
  }
  if (!options.source) throw invalid('createConnector.source', 'a source such as rest({ … }) or fromIterable(…)', options.source)
  if (options.logger !== undefined && !isLogger(options.logger)) throw invalid('createConnector.logger', 'a logger with debug/info/warn/error methods (pino works)', options.logger)
  const alerts = options.alerts ?? []
  if (!Array.isArray(alerts) || alerts.some((a) => typeof a?.notify !== 'function' || typeof a?.flush !== 'function')) {
    throw invalid('createConnector.alerts', 'an array of alerts such as [webhook({ url }), log()]', alerts)
  }
  const redact = options.redact ?? {}
  const logger = options.logger ? redactLogger(options.logger, redact) : jsonLogger({ redact })
  let mar: MarOptions | undefined
  if (options.mar !== undefined) {
    marSettings(options.mar, 'createConnector.mar')
    if (typeof sink.meter !== 'function' || typeof sink.readMar !== 'function') {
      throw new SluiceError({ code: 'MAR_UNAVAILABLE', message: `createConnector.mar: the ${sink.name} destination can't meter MAR; drop the option or use a destination that meters (sqlite, postgres, duckdb, files, memory)` })
    }
    mar = options.mar
  }
  const clock = options.clock ?? systemClock
  if (typeof clock?.now !== 'function' || typeof clock.sleep !== 'function') throw invalid('createConnector.clock', 'a Clock (systemClock, fakeClock())', clock)
  if (options.lease !== undefined && typeof (sink as Sink & ConnectorStore).acquireLease !== 'function') {
    // Asked for, a guard must exist: a lease that is always granted would let two processes sync at once.
    throw new SluiceError({
      code: 'CONFIG_INVALID',
      message: `createConnector.lease: the ${sink.name} destination keeps no leases (no acquireLease), so it can't guard a connector across processes; drop the option (the connector then only never overlaps itself in one process) or use a destination that keeps leases (sqlite, postgres, duckdb, files, memory)`,
      context: { option: 'createConnector.lease', destination: sink.name },
    })
  }
  const leaseTtlMs = parseDuration(options.lease?.ttl ?? '60s', 'createConnector.lease.ttl')
  if (leaseTtlMs < 1000) throw invalid('createConnector.lease.ttl', 'at least 1 s', options.lease?.ttl)
  if (options.deadline !== undefined) parseDuration(options.deadline, 'createConnector.deadline')
  const check = options.check ?? false
  if (check !== false && check !== 'first' && check !== 'always') throw invalid('createConnector.check', "'first', 'always' or false", check)
  return {
    check,
    schedule: options.schedule === undefined ? undefined : parseSchedule(options.schedule, 'createConnector.schedule'),
    logger,
    clock,
    leaseTtlMs,
    alerts,
    mar,
  }
}

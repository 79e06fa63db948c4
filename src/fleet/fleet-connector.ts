import { parseDuration } from '../core/duration.js'
import { configInvalid, knownOptions, positiveInteger } from '../core/check-option.js'
import { SluiceError } from '../core/sluice-error.js'
import { resolveConnectorOptions, type ConnectorOptions } from '../connector/connector-options.js'
import { checkPipe } from '../sync/check-sync-options.js'
import { toSource, type Source } from '../contracts/source.js'
import type { Sink } from '../contracts/sink.js'
import type { ConnectorStore } from '../contracts/connector-store.js'
import type { Alert } from '../alert/alert.js'
import type { Logger } from '../log/logger.js'
import type { Clock } from '../core/clock.js'
import type { MarOptions } from '../mar/mar-options.js'
import type { ScheduleSpec } from '../schedule/schedule.js'

/**
 * A connector run by a fleet: `createConnector`'s options, plus which API's limits its jobs share
 * (`api`, a name of the fleet's `apis`) and how a backfill is split (`partitions`; `false` runs
 * every sync as one job even when the source can split).
 *
 * @example
 * ```ts
 * import { idCursor, sqlite } from 'sluice'
 * import type { FleetConnector } from 'sluice/bullmq'
 * const orders: FleetConnector = {
 *   id: 'orders',
 *   source: idCursor({ table: 'orders', fetch: async () => [], span: 10_000, maxId: () => 1_000_000 }),
 *   destination: sqlite({ path: 'warehouse.db' }),
 *   schedule: { every: '15m' },
 *   api: 'shop',
 *   partitions: { max: 64 },
 * }
 * ```
 */
export interface FleetConnector extends ConnectorOptions {
  /** The API (a key of the fleet's `apis`) whose limits this connector's jobs share with others. */
  readonly api?: string
  /** Backfills split into at most `max` partition jobs (default 64) when the plan has at least `min` (default 2); `false`: never split. */
  readonly partitions?: false | { readonly max?: number; readonly min?: number }
}

/** A fleet connector checked once, with what the worker needs at hand. */
export interface FleetConnectorResolved {
  readonly id: string
  readonly options: FleetConnector
  readonly source: Source
  readonly sink: Sink & ConnectorStore
  readonly schedule: ScheduleSpec | undefined
  readonly jitterMs: number
  readonly api: string | undefined
  readonly partitions: false | { readonly max: number; readonly min: number }
  readonly logger: Logger
  readonly alerts: readonly Alert[]
  readonly clock: Clock
  readonly mar: MarOptions | undefined
}

/** Connector ids become BullMQ job ids and Redis keys: letters, digits, `_`, `.` and `-` (no `:` or `#`). */
const ID = /^[A-Za-z0-9_.-]{1,100}$/

/**
 * Checks the connectors of a fleet (or a worker): each as `createConnector` would, plus what a
 * fleet needs — a destination that can fence writers (`fence`) and keeps the connector's state
 * with its data (no separate `state` store), ids fit for job ids, unique ids, known `api` names,
 * and a schedule a job scheduler can honour (its retries are the fleet's `attempts`, not `schedule.retry`).
 */
export function resolveFleetConnectors(connectors: unknown, where: string, apis: ReadonlySet<string>): Map<string, FleetConnectorResolved> {
  if (!Array.isArray(connectors) || connectors.length === 0) throw configInvalid(`${where}.connectors`, 'a non-empty array of connectors ({ id, source, destination, … })', connectors)
  const out = new Map<string, FleetConnectorResolved>()
  connectors.forEach((c: FleetConnector, i) => {
    const at = `${where}.connectors[${i}]`
    knownOptions(c, { id: true, source: true, destination: true, stages: true, schedule: true, mar: true, alerts: true, logger: true, redact: true, configuration: true, state: true, deadline: true, grace: true, lease: true, clock: true, random: true, check: true, api: true, partitions: true }, at)
    if (typeof c?.id !== 'string' || !ID.test(c.id)) throw configInvalid(`${at}.id`, 'a connector id of letters, digits, _ . - (at most 100; it names jobs and state rows)', c?.id)
    if (out.has(c.id)) throw configInvalid(`${at}.id`, 'unique among the fleet\'s connectors', c.id)
    checkPipe(c, at)
    const { api, partitions, ...connectorOptions } = c
    const settings = resolveConnectorOptions(connectorOptions)
    if (c.check !== undefined && c.check !== false) {
      // Refused, not ignored: the fleet's workers don't run connection checks before a job yet.
      throw new SluiceError({ code: 'CONFIG_INVALID', message: `${at}.check: a fleet runs no connection checks before its jobs; drop the option and check the connector with check() or \`sluice check\` before deploying`, context: { option: `${at}.check` } })
    }
    if (c.state !== undefined) {
      throw new SluiceError({ code: 'CONFIG_INVALID', message: `${at}.state: a fleet keeps each connector's state in its destination, committed with the data and fenced; a separate state store can't be fenced. Drop the option.`, context: { option: `${at}.state` } })
    }
    if (c.lease !== undefined) {
      throw new SluiceError({ code: 'CONFIG_INVALID', message: `${at}.lease: in a fleet a run holds its connector through its job (the worker's lockDuration), not a destination lease; drop the option`, context: { option: `${at}.lease` } })
    }
    const sink = c.destination as Sink & ConnectorStore
    if (typeof sink.fence !== 'function') {
      throw new SluiceError({
        code: 'CONFIG_INVALID',
        message: `${at}.destination: the ${sink.name} destination can't fence writers (no fence()), so two workers could both commit one job; a fleet needs a destination many processes share with fencing: postgres() (or sqlite() on one machine)`,
        context: { option: `${at}.destination`, destination: sink.name },
      })
    }
    if (api !== undefined && (typeof api !== 'string' || !apis.has(api))) throw configInvalid(`${at}.api`, `one of the fleet's apis (${[...apis].join(', ') || 'none declared'})`, api)
    let parts: FleetConnectorResolved['partitions'] = { max: 64, min: 2 }
    if (partitions === false) parts = false
    else if (partitions !== undefined) {
      knownOptions(partitions, { max: true, min: true }, `${at}.partitions`)
      const max = partitions.max === undefined ? 64 : positiveInteger(`${at}.partitions.max`, partitions.max)
      const min = partitions.min === undefined ? 2 : positiveInteger(`${at}.partitions.min`, partitions.min)
      if (min > max) throw configInvalid(`${at}.partitions.min`, `at most partitions.max (${max})`, min)
      parts = { max, min }
    }
    const source = toSource(c.source)
    if (parts !== false && source.partitions && c.mar?.budget !== undefined) {
      // Partitions meter into their own buckets until the completion merges them: a budget can't stop a backfill in time.
      throw new SluiceError({
        code: 'CONFIG_INVALID',
        message: `${at}.mar.budget: a backfill this fleet splits into partitions is metered per partition until it completes, so a MAR budget can't be enforced while it runs; set partitions: false on this connector to keep the budget, or drop the budget`,
        context: { option: `${at}.mar.budget` },
      })
    }
    const schedule = c.schedule
    if (schedule && (schedule as { retry?: unknown }).retry !== undefined) {
      throw configInvalid(`${at}.schedule.retry`, "unset in a fleet: a failed job is retried by the fleet's `attempts` and `backoff`", 'a retry policy')
    }
    const jitterMs = schedule?.jitter === undefined ? 0 : parseDuration(schedule.jitter, `${at}.schedule.jitter`)
    out.set(c.id, {
      id: c.id, options: c, source, sink, schedule, jitterMs, api, partitions: parts,
      logger: settings.logger, alerts: settings.alerts, clock: settings.clock, mar: settings.mar,
    })
  })
  return out
}

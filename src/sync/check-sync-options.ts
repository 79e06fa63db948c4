import { parseDuration } from '../core/duration.js'
import { SluiceError } from '../core/sluice-error.js'
import { knownKeys } from '../core/check-option.js'
import type { Sink } from '../contracts/sink.js'
import { toSource, type Source } from '../contracts/source.js'
import type { SyncEvents, SyncOptions } from './sync-options.js'
import { checkFleet } from './check-fleet.js'

// Written as objects so the compiler checks each list against its interface (none missing, none extra).
const SYNC_OPTIONS = Object.keys({
  source: true, destination: true, stages: true, connectorId: true, configuration: true, state: true, deadline: true, signal: true, grace: true, on: true, mar: true, fleet: true,
} satisfies Record<keyof SyncOptions, true>)
const SYNC_EVENTS = Object.keys({
  syncStart: true, checkpoint: true, schemaChange: true, syncComplete: true, syncError: true, marThreshold: true,
} satisfies Record<keyof SyncEvents, true>)

/** SyncOptions checked, the durations parsed. */
export interface CheckedSyncOptions {
  readonly source: Source
  readonly deadlineMs: number | undefined
  readonly graceMs: number | undefined
}

/** A value as an error message shows it: text and numbers as written, other values by kind. */
function shown(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  if (value === undefined) return 'nothing'
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  return typeof value === 'function' ? 'a function' : typeof value === 'object' ? 'an object' : `a ${typeof value}`
}

function invalid(what: string, expected: string, value: unknown): SluiceError {
  return new SluiceError({ code: 'CONFIG_INVALID', message: `\`${what}\` must be ${expected}, got ${shown(value)}`, context: { option: what } })
}

/**
 * Checks every field of `sync()`'s options before anything runs, and throws `CONFIG_INVALID`
 * naming the option as written: an unknown name (`destinaton`), a source or destination that is
 * not one, `stages` that is not an array of stages, a malformed duration. A configuration error
 * is the caller's to fix, not a failed run, so it throws at call time (as a bad destination or
 * `mar` always did); `sync()` never throws once it runs.
 */
export function checkSyncOptions(options: SyncOptions): CheckedSyncOptions {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new SluiceError({ code: 'CONFIG_INVALID', message: `sync(options) takes an options object such as { source, destination }, got ${shown(options)}`, context: { option: 'sync' } })
  }
  knownKeys(options, SYNC_OPTIONS, 'sync')
  checkPipe(options, 'sync')
  const source = toSource(options.source)
  checkSink(options.destination)
  if (options.connectorId !== undefined && (typeof options.connectorId !== 'string' || options.connectorId.trim() === '')) {
    throw invalid('sync.connectorId', 'a non-empty string', options.connectorId)
  }
  const configuration = options.configuration as unknown
  if (configuration !== undefined && (typeof configuration !== 'object' || configuration === null || Array.isArray(configuration))) {
    throw invalid('sync.configuration', 'an object of string values, as in configuration.json', configuration)
  }
  const state = options.state as Partial<Record<string, unknown>> | undefined
  if (state !== undefined && (typeof state?.load !== 'function' || typeof state.save !== 'function')) {
    throw invalid('sync.state', 'a state store such as fileState({ path }) or memoryState()', state)
  }
  const signal = options.signal as unknown
  const signalLike = signal as Partial<AbortSignal> | undefined
  if (signal !== undefined && (typeof signalLike?.aborted !== 'boolean' || typeof signalLike.addEventListener !== 'function')) throw invalid('sync.signal', 'an AbortSignal (controller.signal)', signal)
  const on = options.on as unknown
  if (on !== undefined) {
    if (typeof on !== 'object' || on === null) throw invalid('sync.on', 'an object of event handlers such as { syncComplete(report) { … } }', on)
    knownKeys(on, SYNC_EVENTS, 'sync.on')
    for (const [name, handler] of Object.entries(on)) if (typeof handler !== 'function' && handler !== undefined) throw invalid(`sync.on.${name}`, 'a function', handler)
  }
  checkFleet(options.fleet, options.destination, state !== undefined)
  return { source, deadlineMs: duration(options.deadline, 'sync.deadline'), graceMs: duration(options.grace, 'sync.grace') }
}

/**
 * Checks `source` and `stages` of `sync()` or `createConnector()` options (named under `where`):
 * a source or async iterable of messages, and an array of stage functions.
 */
export function checkPipe(options: { readonly source?: unknown; readonly stages?: unknown }, where: string): void {
  const given = options.source
  const isSource = typeof (given as Source | undefined)?.read === 'function' || typeof (given as AsyncIterable<unknown> | undefined)?.[Symbol.asyncIterator] === 'function'
  if (!isSource) throw invalid(`${where}.source`, 'a source such as rest({ … }), fromIterable(…) or connector({ … }), or an async iterable of messages', given)
  const stages = options.stages
  if (stages === undefined) return
  if (!Array.isArray(stages)) throw invalid(`${where}.stages`, 'an array of stages such as [schemaDrift()]', stages)
  stages.forEach((stage: unknown, i) => {
    if (typeof stage !== 'function') throw invalid(`${where}.stages[${i}]`, 'a stage such as schemaDrift() or select({ … }) (a function)', stage)
  })
}

function checkSink(sink: Sink | undefined): void {
  if (!sink || typeof sink.write !== 'function' || typeof sink.checkpoint !== 'function' || typeof sink.open !== 'function' || typeof sink.close !== 'function') {
    throw new SluiceError({ code: 'CONFIG_INVALID', message: `sync({ destination }) must be a sink such as sqlite({ path }) or memory(), got ${shown(sink)}`, context: { option: 'sync.destination' } })
  }
}

function duration(value: unknown, what: string): number | undefined {
  if (value === undefined) return undefined
  // parseDuration takes a number or text; anything else (an object, a Date) is named here, not a TypeError there.
  if (typeof value !== 'number' && typeof value !== 'string') throw invalid(what, "a duration such as 500 (ms), '30s', '5m', '2h' or '14 days'", value)
  return parseDuration(value, what)
}

import { matchColumn } from '../core/match-column.js'
import { SluiceError } from '../core/sluice-error.js'
import type { Sink } from '../contracts/sink.js'
import { HyperLogLog } from './hyperloglog.js'
import { joinKeys, marKeys } from './key-hash.js'
import { marMonth } from './mar-month.js'
import { marSettings, type MarOptions } from './mar-options.js'
import type { MarKeys, MarStore } from '../contracts/mar-store.js'

/**
 * A monthly MAR budget threshold crossed: fired once per threshold and month, after the rows that
 * crossed it are committed (and persisted as fired, so a restart doesn't fire it again).
 *
 * @example
 * ```ts
 * import type { MarThresholdEvent } from 'sluice'
 * const onThreshold = (e: MarThresholdEvent) => console.warn(`${e.connectorId}: ${e.threshold * 100}% of ${e.budget} MAR in ${e.month}`)
 * ```
 */
export interface MarThresholdEvent {
  readonly connectorId: string
  readonly month: string
  /** The fraction of the budget crossed (from `warnAt`). */
  readonly threshold: number
  readonly budget: number
  /** The connector's MAR in `month` when it fired. */
  readonly rows: number
  readonly approximate: boolean
}

/** What a metered sink tells the sync it runs in. */
export interface MeteringHooks {
  /** The budget is used up and `onExceed` is `'stop'`: end at the next checkpoint. */
  requestStop(reason: 'mar_budget'): void
  threshold(event: MarThresholdEvent): void
}

type Metered = Sink & MarStore

/** Exact mode meters the keys waiting since the last checkpoint early once this many hash words wait (4 MB). */
const METER_AT = 1 << 20

/**
 * Wraps a sink so that every records batch written is metered: key hashes go to the sink's
 * `meter` inside the open transaction (exact mode: the batches' keys at each checkpoint, or sooner
 * once a million hash words wait) or into a HyperLogLog sketch merged at each checkpoint
 * (approximate mode). Budget thresholds are recorded with the checkpoint that
 * crosses them and fired after it commits; `report.mar` gets this sync's newly active rows per
 * table, counting committed work only. `sync({ mar })` uses it; other sink methods pass through.
 * Throws `MAR_UNAVAILABLE` when the sink can't meter and `CONFIG_INVALID` for bad options.
 *
 * @example
 * ```ts
 * import { memory } from 'sluice'
 * import { meteredSink } from './metered-sink.js'
 * const sink = meteredSink(memory(), { mode: 'exact' }, { requestStop: () => {}, threshold: (e) => console.warn(e) })
 * ```
 */
export function meteredSink(sink: Sink, options: MarOptions, hooks: MeteringHooks): Sink {
  const settings = marSettings(options)
  const inner = sink as Metered
  if (typeof inner.meter !== 'function' || typeof inner.readMar !== 'function') {
    throw new SluiceError({
      code: 'MAR_UNAVAILABLE',
      message: `the ${sink.name} destination can't meter MAR (no meter/readMar methods); drop the mar option or sync into a destination that meters, such as sqlite() or memory()`,
      context: { destination: sink.name },
    })
  }
  const approximate = settings.mode === 'approximate'
  let connectorId = ''
  let keysOf = new Map<string, readonly string[]>()
  /** The connector's MAR per month and table, as far as this sync knows it. */
  const totals = new Map<string, Map<string, number>>()
  const committed: Record<string, number> = {}
  let pending: Record<string, number> = {}
  const sketches = new Map<string, { table: string; month: string; hll: HyperLogLog }>()
  /** Exact mode: the key hashes written since they were last metered, per table and month. */
  const waiting = new Map<string, { table: string; month: string; parts: MarKeys[]; length: number }>()
  let waitingLength = 0
  const fired = new Set<string>()
  let events: MarThresholdEvent[] = []

  const monthTotals = async (month: string): Promise<Map<string, number>> => {
    let byTable = totals.get(month)
    if (!byTable) {
      byTable = new Map()
      for (const row of await inner.readMar!({ connectorId, month })) byTable.set(row.table, row.rows)
      totals.set(month, byTable)
    }
    return byTable
  }
  const sum = (byTable: Map<string, number>) => [...byTable.values()].reduce((a, b) => a + b, 0)
  const overBudget = (byTable: Map<string, number>) => settings.budget !== undefined && sum(byTable) >= settings.budget
  const counted = async (table: string, month: string, result: { added: number; total: number }) => {
    pending[table] = (pending[table] ?? 0) + Math.max(0, result.added)
    const byTable = await monthTotals(month)
    byTable.set(table, result.total)
    if (settings.onExceed === 'stop' && overBudget(byTable)) hooks.requestStop('mar_budget')
  }
  const flushSketches = async () => {
    for (const [id, s] of sketches) {
      sketches.delete(id)
      await counted(s.table, s.month, await inner.meter!({ table: s.table, month: s.month, sketch: s.hll.toBytes() }))
    }
  }
  /** Meters the waiting keys (exact mode), one `meter` call per table and month, in the open transaction. */
  const flushKeys = async () => {
    for (const [id, w] of waiting) {
      waiting.delete(id)
      await counted(w.table, w.month, await inner.meter!({ table: w.table, month: w.month, keys: w.parts.length === 1 ? w.parts[0]! : joinKeys(w.parts, w.length) }))
    }
    waitingLength = 0
  }
  /** Records thresholds crossed in the open transaction; they fire once it commits. */
  const recordThresholds = async () => {
    if (settings.budget === undefined) return
    for (const [month, byTable] of totals) {
      const rows = sum(byTable)
      for (const threshold of settings.warnAt) {
        const id = `${month}|${threshold}`
        if (rows < threshold * settings.budget || fired.has(id)) continue
        fired.add(id)
        const fresh = inner.recordMarThreshold ? await inner.recordMarThreshold({ month, threshold, rows }) : true
        if (fresh) events.push({ connectorId, month, threshold, budget: settings.budget, rows, approximate })
      }
    }
  }
  const commit = () => {
    for (const [table, n] of Object.entries(pending)) committed[table] = (committed[table] ?? 0) + n
    pending = {}
    const due = events
    events = []
    for (const event of due) hooks.threshold(event)
  }

  const overrides: Partial<Sink> = {
    async open(args) {
      const opened = await sink.open(args)
      connectorId = args.connectorId
      keysOf = new Map(args.tables.map((t) => [t.table, t.primaryKey ?? []]))
      const now = await monthTotals(marMonth(settings.clock.now()))
      // Used up before the first row: don't start (sync then ends `stopped` without reading).
      if (settings.onExceed === 'stop' && overBudget(now)) hooks.requestStop('mar_budget')
      return opened
    },
    async write(args) {
      const applied = await sink.write(args)
      const message = args.message
      // Deletes count as active rows by the keys they name; a match delete names parents, not the
      // child rows it finds, and those were counted when they were written.
      if (message.kind !== 'records' || matchColumn(message) !== undefined) return applied
      pending[message.table] ??= 0
      if (message.batch.length === 0) return applied
      const month = marMonth(settings.clock.now())
      const keys = marKeys(message.batch, keysOf.get(message.table) ?? [])
      const id = `${message.table}\u0000${month}`
      if (!approximate) {
        // Metered at the checkpoint (one statement or two per table, not per batch), or sooner once many wait.
        let w = waiting.get(id)
        if (!w) waiting.set(id, (w = { table: message.table, month, parts: [], length: 0 }))
        w.parts.push(keys)
        w.length += keys.length
        waitingLength += keys.length
        if (waitingLength >= METER_AT) await flushKeys()
      } else {
        let s = sketches.get(id)
        if (!s) sketches.set(id, (s = { table: message.table, month, hll: new HyperLogLog() }))
        s.hll.addKeys(keys)
      }
      return applied
    },
    async checkpoint(args) {
      await flushKeys()
      await flushSketches()
      await recordThresholds()
      await sink.checkpoint(args)
      commit()
    },
    async close(args) {
      const succeeded = args.status === 'succeeded'
      if (succeeded) {
        // close() commits what follows the last checkpoint: meter it into that commit.
        await flushKeys()
        await flushSketches()
        await recordThresholds()
      }
      args.report.mar = marOf(committed, succeeded ? pending : {})
      try {
        await sink.close(args)
      } catch (error) {
        args.report.mar = marOf(committed, {})
        throw error
      }
      if (succeeded) commit()
    },
  }
  return new Proxy(sink, {
    get(target, property) {
      if (Object.hasOwn(overrides, property)) return overrides[property as keyof Sink]
      const value: unknown = Reflect.get(target, property, target)
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value
    },
  })
}

function marOf(committed: Record<string, number>, pending: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {}
  for (const table of new Set([...Object.keys(committed), ...Object.keys(pending)])) out[table] = (committed[table] ?? 0) + (pending[table] ?? 0)
  return out
}

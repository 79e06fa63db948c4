import type { RowInput } from '../../core/batch.js'
import type { Message } from '../../core/message.js'
import { SluiceError } from '../../core/sluice-error.js'
import type { TableSpec } from '../../core/table-spec.js'
import type { Partition, PartitionPlan } from '../../contracts/partition.js'
import type { PartitionsArgs } from '../../contracts/source.js'
import type { Source } from '../../contracts/source.js'
import { partitionMax } from '../partition-max.js'
import { addInterval, gapsOf, type Interval } from './merged-intervals.js'
import { iso, readWindows, savedIntervals, stateOf, windowsOf, type CheckedTimeWindows } from './read-windows.js'

/**
 * `timeWindows`' plan: the windows one sync from `args.state` would read (the gaps of its done
 * intervals from `start` to `end`, or to the clock's now taken once here), grouped into at most
 * `max` partitions of consecutive windows; `undefined` with fewer than two windows. `complete` is
 * the state that sync would save once every window was read: the done intervals with them merged in.
 *
 * @example
 * ```ts
 * import { planWindowPartitions } from './window-partitions.js'
 * import type { CheckedTimeWindows } from './read-windows.js'
 * declare const o: CheckedTimeWindows
 * const plan = await planWindowPartitions(o, { state: undefined, configuration: {}, signal: new AbortController().signal, max: 64 })
 * ```
 */
export async function planWindowPartitions(o: CheckedTimeWindows, args: PartitionsArgs): Promise<PartitionPlan | undefined> {
  const max = partitionMax(args.max)
  const done = savedIntervals(args.state, o.table)
  const end = o.end ?? o.clock.now()
  const windows = gapsOf(done, o.start, end).flatMap((gap) => windowsOf(gap, o.window))
  if (windows.length < 2) return undefined
  const per = Math.ceil(windows.length / max)
  const partitions: Partition[] = []
  for (let i = 0; i < windows.length; i += per) {
    // Consecutive windows of one gap merge into one interval; a done interval between them keeps two.
    const intervals = windows.slice(i, i + per).reduce<Interval[]>((merged, w) => addInterval(merged, w), [])
    const from = intervals[0]![0]
    const to = intervals.at(-1)![1]
    partitions.push({
      key: `w.${from}-${to}`,
      bounds: { intervals: intervals.map(([a, b]) => [iso(a), iso(b)]) },
      label: `${o.table} [${iso(from)}, ${iso(to)})`,
    })
  }
  if (partitions.length < 2) return undefined
  return { partitions, complete: stateOf(windows.reduce<Interval[]>((merged, w) => addInterval(merged, w), done)) }
}

/**
 * The source of one `timeWindows` partition: reads its intervals in windows (cut from each
 * interval's start) with the same halving, retries and concurrency, keeping its own
 * `{ done }` state, so a stopped partition resumes with the windows it has not finished.
 *
 * @example
 * ```ts
 * import { windowPartitionSource } from './window-partitions.js'
 * import type { CheckedTimeWindows } from './read-windows.js'
 * import { op } from '../op.js'
 * declare const o: CheckedTimeWindows
 * declare const spec: import('../../core/table-spec.js').TableSpec
 * const source = windowPartitionSource(o, { id: 'events', spec, emit: (rows) => op.upsert(o.table, rows) }, {
 *   key: 'w.0-86400000', bounds: { intervals: [['1970-01-01T00:00:00.000Z', '1970-01-02T00:00:00.000Z']] },
 * })
 * ```
 */
export function windowPartitionSource(o: CheckedTimeWindows, parent: { readonly id: string; readonly spec: TableSpec; readonly emit: (rows: readonly RowInput[]) => Message }, partition: Partition): Source {
  const { spec, emit } = parent
  const intervals = checkBounds(o, partition)
  return {
    id: `${parent.id}#${partition.key}`,
    tables: () => [spec],
    readAhead: true,
    async *read(args) {
      const own = savedIntervals(args.state, o.table)
      const windows = intervals.flatMap(([a, b]) => gapsOf(own, a, b).flatMap((gap) => windowsOf(gap, o.window)))
      yield* readWindows(o, emit, own, windows, args)
    },
  }
}

function checkBounds(o: CheckedTimeWindows, partition: Partition): Interval[] {
  const raw = (partition?.bounds as { intervals?: unknown } | undefined)?.intervals
  let out: Interval[] = []
  if (Array.isArray(raw) && raw.length > 0) {
    for (const pair of raw) {
      const a = Array.isArray(pair) && typeof pair[0] === 'string' ? Date.parse(pair[0]) : Number.NaN
      const b = Array.isArray(pair) && pair.length === 2 && typeof pair[1] === 'string' ? Date.parse(pair[1]) : Number.NaN
      if (!(Number.isFinite(a) && Number.isFinite(b) && a < b)) return bad(o, partition)
      out = addInterval(out, [a, b])
    }
    return out
  }
  return bad(o, partition)
}

function bad(o: CheckedTimeWindows, partition: Partition): never {
  throw new SluiceError({
    code: 'CONFIG_INVALID',
    message: `timeWindows(${o.table}): partition ${JSON.stringify(partition?.key)} needs bounds { intervals: [[from, to], …] } of ISO instants with from < to, got ${JSON.stringify(partition?.bounds).slice(0, 200)}`,
    context: { option: 'partition.bounds', table: o.table },
  })
}

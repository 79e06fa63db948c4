import type { RowInput } from '../../core/batch.js'
import type { Message } from '../../core/message.js'
import { SluiceError } from '../../core/sluice-error.js'
import type { TableSpec } from '../../core/table-spec.js'
import type { Partition, PartitionPlan } from '../../contracts/partition.js'
import type { PartitionsArgs } from '../../contracts/source.js'
import type { Source } from '../../contracts/source.js'
import { partitionMax } from '../partition-max.js'
import { maxIdOf, readIds, savedAfter, spanRanges, type CheckedIdCursor } from './read-ids.js'

/**
 * `idCursor`'s plan: the ids from the saved `{ after }` (or `start`) up to `maxId()` as ranges
 * (lo, hi], each `max(span, ceil((maxId − from) / max))` ids wide so there are at most `max`;
 * `undefined` when that makes fewer than two. `complete` is `{ after: maxId }`: ids added since
 * the plan are read by the next ordinary sync.
 *
 * @example
 * ```ts
 * import { planIdPartitions } from './id-partitions.js'
 * import type { CheckedIdCursor } from './read-ids.js'
 * declare const o: CheckedIdCursor
 * const plan = await planIdPartitions(o, { state: { after: 0 }, configuration: {}, signal: new AbortController().signal, max: 64 })
 * ```
 */
export async function planIdPartitions(o: CheckedIdCursor, args: PartitionsArgs): Promise<PartitionPlan | undefined> {
  const max = partitionMax(args.max)
  const from = (savedAfter(args.state, o) ?? o.start) as number
  const maxId = await maxIdOf(o, args.signal)
  if (maxId === undefined || maxId <= from) return undefined
  const width = Math.max(o.span!, Math.ceil((maxId - from) / max))
  const partitions: Partition[] = []
  for (const { lo, hi } of spanRanges(from, width, maxId, false)) {
    partitions.push({ key: `id.${lo as number}-${hi!}`, bounds: { lo: lo as number, hi: hi! }, label: `${o.table} ${o.idField} (${lo as number}, ${hi!}]` })
  }
  if (partitions.length < 2) return undefined
  return { partitions, complete: { after: maxId } }
}

/**
 * The source of one `idCursor` partition: reads (lo, hi] in `span`-wide ranges with the same
 * adaptive size, retries and `onError`, checkpointing `{ after }` in its own state; it resumes
 * from that state and reads nothing once the state is at `hi`.
 *
 * @example
 * ```ts
 * import { idPartitionSource } from './id-partitions.js'
 * import type { CheckedIdCursor } from './read-ids.js'
 * import { op } from '../op.js'
 * declare const o: CheckedIdCursor
 * declare const spec: import('../../core/table-spec.js').TableSpec
 * const source = idPartitionSource(o, { id: 'idCursor:orders', spec, emit: (rows) => op.upsert(o.table, rows) }, { key: 'id.0-1000', bounds: { lo: 0, hi: 1000 } })
 * ```
 */
export function idPartitionSource(o: CheckedIdCursor, parent: { readonly id: string; readonly spec: TableSpec; readonly emit: (rows: readonly RowInput[]) => Message }, partition: Partition): Source {
  const { spec, emit } = parent
  const { lo, hi } = checkBounds(o, partition)
  return {
    id: `${parent.id}#${partition.key}`,
    tables: () => [spec],
    readAhead: true,
    async *read(args) {
      const after = savedAfter(args.state, o) as number | undefined
      const from = after === undefined ? lo : Math.max(lo, after)
      if (from >= hi) return
      yield* readIds(o, emit, spanRanges(from, o.span!, hi, false), args)
    },
  }
}

function checkBounds(o: CheckedIdCursor, partition: Partition): { lo: number; hi: number } {
  const bounds = partition?.bounds as { lo?: unknown; hi?: unknown } | undefined
  const lo = bounds?.lo
  const hi = bounds?.hi
  if (Number.isSafeInteger(lo) && Number.isSafeInteger(hi) && (lo as number) < (hi as number)) return { lo: lo as number, hi: hi as number }
  throw new SluiceError({
    code: 'CONFIG_INVALID',
    message: `idCursor(${o.table}): partition ${JSON.stringify(partition?.key)} needs bounds { lo, hi } with safe integers lo < hi, got ${JSON.stringify(bounds).slice(0, 200)}`,
    context: { option: 'partition.bounds', table: o.table },
  })
}

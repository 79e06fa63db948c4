import type { Json, State } from '../core/message.js'

/**
 * One slice of a source's work that runs on its own (a fleet job): an id range, a time window,
 * a keyset range of a table. Made by `Source.partitions`, read by the source `Source.partition`
 * returns for it. It keeps its own state under the connector id `<connector>#<key>`.
 *
 * @example
 * ```ts
 * import type { Partition } from 'sluice'
 * const p: Partition = { key: 'orders.0007', bounds: { table: 'orders', lo: 70_000, hi: 80_000 }, label: 'orders id (70000, 80000]' }
 * ```
 */
export interface Partition {
  /** Unique in its plan and the same if the plan is made again from the same state: `[A-Za-z0-9_.:-]`, at most 80 characters. */
  readonly key: string
  /** What the partition reads (JSON, so a job can carry it to another machine). */
  readonly bounds: { readonly [key: string]: Json }
  /** Said in status, logs and errors (`orders id (70000, 80000]`). */
  readonly label?: string
}

/**
 * How a source splits the work of one sync: its partitions, and the state the connector moves to
 * once every partition committed (what one process reading the same work would have saved).
 *
 * @example
 * ```ts
 * import type { PartitionPlan } from 'sluice'
 * const plan: PartitionPlan = { partitions: [{ key: 'p0', bounds: { lo: 0, hi: 10 } }], complete: { after: 10 } }
 * ```
 */
export interface PartitionPlan {
  readonly partitions: readonly Partition[]
  /** The connector's state after the backfill: the next sync resumes from it (e.g. `{ after: maxId }`). */
  readonly complete: State
}

import type { RecordError } from '../core/error-record.js'
import type { Message, State } from '../core/message.js'
import { SluiceError } from '../core/sluice-error.js'
import type { TableSpec, TableSpecInput } from '../core/table-spec.js'
import type { CheckResult, SourceCheckArgs } from './check.js'
import type { Selection } from './selection.js'
import type { ReplicationStatus } from './sync-report.js'
import type { Partition, PartitionPlan } from './partition.js'

/** A connector's configuration: string values, as in Fivetran's `configuration.json`. */
export type Configuration = Readonly<Record<string, string>>

/**
 * What a sync moves of a source, computed once from what the source and the stages declare
 * (`Source.tables`, the `select` stages and `keepsNames`) and handed to `read()`: a source
 * reads it instead of guessing from the stages.
 *
 * @example
 * ```ts
 * import type { Source } from 'sluice'
 * const source: Source = {
 *   async *read({ catalog }) {
 *     // Only the tables and columns the sync will keep are asked of the API.
 *     const wanted = (catalog?.tables ?? []).filter((t) => catalog?.selection?.table(t.table) ?? true)
 *     void wanted
 *   },
 * }
 * ```
 */
export interface SourceCatalog {
  /** The tables the source declared, without those the selection blocks (empty when it declares none). */
  readonly tables: readonly TableSpec[]
  /** Which tables and columns to read; absent when no `select` stage speaks of the source's names. */
  readonly selection?: Selection
}

/** What `sync()` hands a source when it starts reading. */
export interface SourceReadArgs {
  /** The last acknowledged state, `undefined` on a first sync. */
  readonly state: State | undefined
  /** Aborted when the sync must stop now (hard deadline, cancellation): release sockets and cursors. */
  readonly signal: AbortSignal
  readonly configuration: Configuration
  /** Records a request or record skipped by an `onError: 'continue'` policy (lands in `_sluice_errors`). */
  readonly recordError: RecordError
  /**
   * What the sync moves of this source, declared before reading: its declared tables as the
   * `select` stages narrow them, and their selection. Absent only when `read()` is called by hand.
   */
  readonly catalog?: SourceCatalog
  /** Tables and columns the `select` stages let through (`catalog.selection`): a source skips the rest at the request where it can. */
  readonly selection?: Selection
}

/**
 * A source of messages: declares its tables (optional) and reads from a saved state. It must
 * emit a checkpoint only once everything before it is emitted, and clean up in `finally`
 * when the consumer stops early.
 *
 * @example
 * ```ts
 * import { op, type Source } from 'sluice'
 * const source: Source = {
 *   id: 'numbers',
 *   async *read({ state }) {
 *     const from = typeof state?.next === 'number' ? state.next : 0
 *     yield op.upsert('numbers', [{ n: from }])
 *     yield op.checkpoint({ next: from + 1 })
 *   },
 * }
 * ```
 */
export interface Source {
  /** Default connector id: the key of the state and of the sync history. */
  readonly id?: string
  /** The tables this source writes, with keys and types, when it knows them. */
  tables?(args: { readonly configuration: Configuration }): readonly TableSpecInput[] | Promise<readonly TableSpecInput[]>
  /**
   * The messages of one sync, in order: records, truncates, schema changes and checkpoints. `args.state`
   * is what the last committed checkpoint saved (resume from there); stop when `args.signal` aborts.
   */
  read(args: SourceReadArgs): AsyncIterable<Message>
  /**
   * True when the source only reads after a checkpoint, so `sync()` may make the next message
   * while the checkpoint commits (the built-in sources do). Default false: the code after
   * `yield op.checkpoint(…)` runs only once that checkpoint is committed, so a source may
   * acknowledge what it read there (delete queue messages, commit a consumer offset).
   */
  readonly readAhead?: boolean
  /**
   * Where a change-data-capture source stands (slot lag, retained WAL), asked once after `read()`
   * ends, whatever the outcome; lands in `SyncReport.replication` and the sync history.
   */
  replication?(): ReplicationStatus | undefined | Promise<ReplicationStatus | undefined>
  /**
   * Drops what a change-data-capture source keeps on the server for this connector (a Postgres
   * replication slot, so it stops retaining WAL), for `sluice reset --drop-slot`. Resolves to
   * what it dropped, in words (`replication slot "sluice_shop"`); an empty list when there was nothing.
   * `configuration` is the connector's (configuration.json), for a source built from it
   * (`configuredSource`); a source built in code ignores it.
   */
  dropReplication?(args?: { readonly configuration?: Configuration }): Promise<readonly string[]>
  /**
   * Splits the work a sync from `args.state` would do into partitions that run on their own (the
   * fleet runs each as a job, on any worker): id ranges, time windows, keyset ranges. Resolves to
   * `undefined` when there is nothing worth splitting (the work then runs as one sync). Comes with
   * `partition`.
   */
  partitions?(args: PartitionsArgs): Promise<PartitionPlan | undefined>
  /**
   * The source that reads one partition of a plan, from that partition's own state (`read()`
   * gets it, `undefined` at first), checkpointing as it goes; it declares the same tables and
   * never truncates (a truncate is the whole table's, applied when the plan completes).
   */
  partition?(partition: Partition): Source
  /**
   * Checks the connection before a sync, as `sluice check` and `check()` ask (Fivetran's `Test`, Airbyte's `check`):
   * reachability, authentication, permissions and each stream's first request, one `CheckResult` each. It reads
   * nothing into a destination and never throws for a failed check (it returns `ok: false`).
   */
  check?(args: SourceCheckArgs): Promise<readonly CheckResult[]>
}

/**
 * What `Source.partitions` is handed: the connector's saved state (plan from there), its
 * configuration, and how many partitions are wanted at most.
 *
 * @example
 * ```ts
 * import type { PartitionsArgs } from 'sluice'
 * const args: PartitionsArgs = { state: { after: 100 }, configuration: {}, signal: new AbortController().signal, max: 64 }
 * ```
 */
export interface PartitionsArgs {
  readonly state: State | undefined
  readonly configuration: Configuration
  readonly signal: AbortSignal
  /** At most this many partitions (a source makes wider ones rather than more). */
  readonly max: number
  /** What the sync moves of this source (declared tables, selection), as `read()` gets it. */
  readonly catalog?: SourceCatalog
}

/** A source, or a bare async iterable of messages (stateless: it reads the same way every time). */
export type SourceLike = Source | AsyncIterable<Message>

/** Normalises what `sync({ source })` accepts into a `Source`. */
export function toSource(value: SourceLike): Source {
  if (typeof (value as Source).read === 'function') return value as Source
  if (value && typeof (value as AsyncIterable<Message>)[Symbol.asyncIterator] === 'function') {
    const iterable = value as AsyncIterable<Message>
    return { read: () => iterable }
  }
  throw new SluiceError({ code: 'CONFIG_INVALID', message: 'source must be a Source ({ read }) or an async iterable of messages', context: { option: 'source' } })
}

/**
 * 64-bit key hashes, two 32-bit words per key (high word, then low word), as `marKeys` (src/mar/key-hash.ts) makes them
 * and `Sink.meter` and `HyperLogLog.addKeys` take them.
 */
export type MarKeys = Uint32Array

/** How a table's MAR is counted in a month: every key kept, or a HyperLogLog sketch. */
export type MarMode = 'exact' | 'approximate'

/**
 * What `sync()` hands a sink's `meter`: the keys (exact mode) or a sketch (approximate mode) of
 * rows written to `table` in `month`, for the connector the sink was opened for.
 *
 * @example
 * ```ts
 * import type { MeterArgs } from 'sluice'
 * const args: MeterArgs = { table: 'orders', month: '2026-11', keys: new Uint32Array([0, 42]) }
 * ```
 */
export interface MeterArgs {
  readonly table: string
  /** Calendar month, UTC, `'YYYY-MM'`. */
  readonly month: string
  /** Exact mode: 64-bit key hashes (two words each, repeats allowed) of the rows just written. */
  readonly keys?: MarKeys
  /** Approximate mode: `HyperLogLog.toBytes()` of the keys written since the last call, merged into the month's sketch. */
  readonly sketch?: Uint8Array
}

/**
 * What `meter` answers: how many of the rows were not yet active this month, and the month's
 * count for the table after them (estimates, rounded, in approximate mode).
 *
 * @example
 * ```ts
 * import type { MeterResult } from 'sluice'
 * const result: MeterResult = { added: 3, total: 120 }
 * ```
 */
export interface MeterResult {
  readonly added: number
  readonly total: number
}

/**
 * One row of MAR: the distinct rows a connector wrote to a table in a month.
 * `marReport` returns these; `approximate` says the count is a HyperLogLog estimate.
 *
 * @example
 * ```ts
 * import type { MarUsage } from 'sluice'
 * const row: MarUsage = { connectorId: 'shop', table: 'orders', month: '2026-11', rows: 1200, approximate: false }
 * ```
 */
export interface MarUsage {
  readonly connectorId: string
  readonly table: string
  readonly month: string
  readonly rows: number
  readonly approximate: boolean
}

/**
 * Filters for reading MAR back; each one left out matches everything.
 *
 * @example
 * ```ts
 * import type { MarFilter } from 'sluice'
 * const filter: MarFilter = { connectorId: 'shop', month: '2026-11' }
 * ```
 */
export interface MarFilter {
  readonly connectorId?: string
  readonly month?: string
  readonly table?: string
}

/**
 * The optional sink methods behind MAR metering. `meter` and `recordMarThreshold` write inside
 * the sync's open transaction, so counts commit with the data at the next checkpoint and a
 * crash neither loses nor double-counts a row. A sink without `meter` can't meter: asking
 * `sync({ mar })` of it fails with `MAR_UNAVAILABLE`.
 *
 * @example
 * ```ts
 * import { memory, type MarStore } from 'sluice'
 * const store: MarStore = memory()
 * await store.readMar?.({ month: '2026-11' })
 * ```
 */
export interface MarStore {
  /** Counts keys (or merges a sketch) for the open connector, table and month; see {@link MeterArgs}. */
  meter?(args: MeterArgs): Promise<MeterResult>
  /** MAR rows matching the filter, ordered by month, connector and table. Works without an open sync. */
  readMar?(args: MarFilter): Promise<MarUsage[]>
  /** Marks a budget threshold as fired for the open connector and month; false when it was already marked. */
  recordMarThreshold?(args: { readonly month: string; readonly threshold: number; readonly rows: number }): Promise<boolean>
}

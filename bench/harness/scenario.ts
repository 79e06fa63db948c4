/**
 * What a bench scenario is: a deterministic data set and the ways of processing it that one
 * table compares. Each case runs in its own child process (see `child.ts`), so its peak RSS is
 * its own and no case inherits another's heap or JIT state.
 */

/** Where a case sits in the table: the hand-written limit, a layer of the library, or another library. */
export type CaseKind = 'raw' | 'library' | 'peer'

/** One row of a scenario's table. `P` is what `prepare` hands to `run` (untimed set-up). */
export interface BenchCase<D, P = unknown> {
  /** Short id, used to pick a case on the command line (`npm run bench -- arrow:library`). */
  readonly name: string
  /** What the table shows. */
  readonly label: string
  readonly kind: CaseKind
  /** At most this many runs, for slow peers (default: every round, `BENCH_REPEAT`). */
  readonly runs?: number
  /** Untimed set-up (temp dirs, pre-built batches). */
  prepare?(data: D): P | Promise<P>
  /** The timed work: processes every row of `data`. */
  run(prepared: P, data: D): void | Promise<void>
  /** Untimed check that the output is right; throws when it is not. */
  verify?(prepared: P, data: D): void | Promise<void>
  /** Untimed tear-down (delete temp files). */
  cleanup?(prepared: P): void | Promise<void>
}

export interface Scenario<D> {
  readonly name: string
  /** One line: what flows where. */
  readonly title: string
  /** Name of the case the ratios divide by (the hand-written limit). */
  readonly baseline: string
  /** Builds the input deterministically (untimed, in every child): `loadOrders(rows)` for the orders shape. */
  generate(rows: number): D
  /** Settings for the line under the table (rows and node version are added by the runner). */
  settings(rows: number): string
  readonly cases: readonly BenchCase<D, any>[]
}

/** Types a case against its scenario's data while keeping the scenario's case list homogeneous. */
export function defineCase<D, P>(c: BenchCase<D, P>): BenchCase<D, P> {
  return c
}

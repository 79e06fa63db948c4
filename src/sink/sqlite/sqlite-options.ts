/** Options of `sqlite()` (sqlite-sink.ts). */
export interface SqliteOptions {
  /** The database file, e.g. `files/warehouse.db`. Its directory must exist. */
  readonly path: string
  /** How long to wait for another writer's lock (default 5_000 ms). */
  readonly busyTimeoutMs?: number
  /**
   * Write on a worker thread (default false): the sink returned forwards every call to a worker
   * that owns the database, and records writes return once posted (a few at a time), so the
   * source and stages keep parsing on the main thread while the second core writes. Experimental:
   * it is exact (same conformance suite and SIGKILL proof as the default) but not yet faster —
   * measured slower than the default in `npm run bench` so far (see the README), so leave it off
   * unless your own bench says otherwise. A write that fails there fails the next checkpoint (or
   * `close`), which then saves no state.
   * Not with `':memory:'`, whose database would live and die with the worker.
   *
   * @example
   * ```ts
   * import { fromIterable, sqlite, sync } from 'sluice'
   * const rows = Array.from({ length: 100_000 }, (_, id) => ({ id, name: `user ${id}` }))
   * await sync({ source: fromIterable('users', rows, { primaryKey: ['id'] }), destination: sqlite({ path: 'warehouse.db', thread: true }) })
   * ```
   */
  readonly thread?: boolean
}

/**
 * How a table is written: `upsert` by primary key (default with a key), `append` every row,
 * `replace` (full refresh: rows not re-synced are soft-deleted when the sync succeeds),
 * `history` (SCD2 versions with `_sluice_start`, `_sluice_end`, `_sluice_active`).
 */
export type WriteMode = 'upsert' | 'append' | 'replace' | 'history'

/** Every write mode, in the order messages list them. */
export const WRITE_MODES = ['upsert', 'append', 'replace', 'history'] as const satisfies readonly WriteMode[]

/**
 * The effective write mode of a table: `upsert` unless declared (keyed by `_sluice_id` without a
 * primary key). Kept out of table-spec.ts, whose parser loads `effect`, so that the sinks (and the
 * SQLite worker thread, which starts once per sync) don't pay for loading it.
 */
export function modeOf(spec: { readonly mode?: WriteMode }): WriteMode {
  return spec.mode ?? 'upsert'
}

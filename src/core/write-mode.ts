import type { TableSpec, WriteMode } from './table-spec.js'

/** Every write mode, in the order messages list them. */
export const WRITE_MODES = ['upsert', 'append', 'replace', 'history'] as const satisfies readonly WriteMode[]

/**
 * The effective write mode of a table: `upsert` unless declared (keyed by `_sluice_id` without a
 * primary key). Kept out of table-spec.ts, whose parser loads `effect`, so that the sinks (and the
 * SQLite worker thread, which starts once per sync) don't pay for loading it.
 */
export function modeOf(spec: TableSpec): WriteMode {
  return spec.mode ?? 'upsert'
}

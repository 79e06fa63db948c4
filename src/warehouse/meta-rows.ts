import type { ErrorRecord } from '../core/error-record.js'
import type { SchemaChange } from '../core/message.js'
import type { SchemaHistoryEntry } from '../contracts/sink.js'

/**
 * The columns of a `_sluice_schema_history` row for one applied change, as every destination
 * stores them (the SQL around them is the driver's).
 *
 * @example
 * ```ts
 * import { historyColumns } from './meta-rows.js'
 * historyColumns({ type: 'add_column', column: 'total', columnType: 'DOUBLE' }) // { column_name: 'total', change: 'add_column', old_type: null, new_type: 'DOUBLE' }
 * ```
 */
export function historyColumns(c: SchemaChange): { column_name: string | null; change: SchemaChange['type']; old_type: string | null; new_type: string | null } {
  return {
    column_name: c.type === 'create_table' ? null : c.column,
    change: c.type,
    old_type: c.type === 'change_type' ? c.from : null,
    new_type: c.type === 'change_type' ? c.to : c.type === 'add_column' ? c.columnType : null,
  }
}

/** A `_sluice_schema_history` row read back (`at`: the change time as ISO text). */
export function historyEntry(row: Record<string, unknown>, at: string): SchemaHistoryEntry {
  return {
    connectorId: row.connector_id as string,
    syncId: row.sync_id as string,
    table: row.table_name as string,
    column: (row.column_name as string | null) ?? null,
    change: row.change as SchemaHistoryEntry['change'],
    oldType: (row.old_type as string | null) ?? null,
    newType: (row.new_type as string | null) ?? null,
    at,
  }
}

/** A `_sluice_errors` row read back; `json` turns a stored context or record into its object. */
export function errorEntry(row: Record<string, unknown>, json: (stored: unknown) => Record<string, unknown>): ErrorRecord {
  return {
    kind: row.kind as ErrorRecord['kind'],
    code: row.code as string,
    message: row.message as string,
    ...(row.table_name ? { table: row.table_name as string } : {}),
    ...(row.context ? { context: json(row.context) } : {}),
    ...(row.record ? { record: json(row.record) } : {}),
  }
}

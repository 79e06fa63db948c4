import { isNull, type Batch } from '../core/batch.js'
import { SluiceError } from '../core/sluice-error.js'

/**
 * Fails with `PRIMARY_KEY_MISSING` when a batch lacks a key column or a row has NULL in one:
 * such a row can't be upserted or deleted, and writing it keyless would silently duplicate it.
 */
export function checkPrimaryKey(batch: Batch, primaryKey: readonly string[], table: string): void {
  for (const key of primaryKey) {
    const column = batch.column(key)
    if (!column) {
      if (batch.length === 0) continue
      throw missing(table, key, 0)
    }
    if (column.nullCount === 0) continue
    for (let i = 0; i < batch.length; i++) if (isNull(column, i)) throw missing(table, key, i)
  }
}

function missing(table: string, key: string, row: number): SluiceError {
  return new SluiceError({
    code: 'PRIMARY_KEY_MISSING',
    message: `table ${table}: row ${row} of the batch has no value for primary key column ${JSON.stringify(key)}; every row must carry its key (or declare a different primaryKey)`,
    context: { table, column: key, row },
  })
}

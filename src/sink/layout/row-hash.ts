import { hash } from 'node:crypto'
import stableStringify from 'fast-json-stable-stringify'
import { isNull, valueAt, type Batch } from '../../core/batch.js'
import { baseType } from '../../core/column-type.js'

/**
 * `_sluice_id` of each row of a batch: SHA-256 (hex) of the stable-stringified row, so the same
 * row always hashes alike whatever its key order, and a replayed keyless row is an idempotent upsert.
 * Bytes hash as base64, bigints as decimal text.
 */
export function rowHashes(batch: Batch): string[] {
  const out = new Array<string>(batch.length)
  const cols = batch.columns
  for (let i = 0; i < batch.length; i++) {
    const row: Record<string, unknown> = {}
    for (const c of cols) {
      // JSON through plain JSON.parse, as ids were always made: an exact bigint inside would change
      // the id of a row already stored (and fast-json-stable-stringify can't write a bigint).
      const v = baseType(c.type) === 'JSON' && !isNull(c, i) ? JSON.parse((c.values as string[])[i]!) : valueAt(c, i)
      if (v === null) continue // a NULL and an absent column are the same row
      row[c.name] = typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? Buffer.from(v).toString('base64') : v
    }
    out[i] = hash('sha256', stableStringify(row), 'hex')
  }
  return out
}

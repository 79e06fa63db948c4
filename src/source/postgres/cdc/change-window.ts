import type { Message } from '../../../core/message.js'
import { SluiceError } from '../../../core/sluice-error.js'
import { buildBatch } from '../../sql/batch-builder.js'
import type { PgMappedColumn } from '../postgres-type-map.js'
import type { RelationTypes } from './relation-types.js'
import type { TupleValues } from './pgoutput-decoder.js'

/** The last change of one key within a window: a whole row, the columns an update sent, or a delete. */
interface Pending {
  op: 'upsert' | 'update' | 'delete'
  row: TupleValues
}

/** A table's relation as the window writes it: its columns mapped, which are read, and where the key is. */
export interface TableShape {
  readonly table: string
  /** Every column of the relation message, mapped. */
  readonly columns: readonly PgMappedColumn[]
  /** Indexes (in `columns`) of the columns written. */
  readonly output: readonly number[]
  /** Indexes (in `columns`) of the key columns, in key order. */
  readonly key: readonly number[]
}

/**
 * The changes of one table since the last checkpoint, coalesced by key: the last change of a key
 * wins, and an update that lacks unchanged TOASTed values merges onto a pending whole row of the
 * same key (else it stays an `update` of only the columns it carries). Keys are distinct in a
 * window, so the flushed deletes, upserts and updates commute.
 */
export class ChangeWindow {
  readonly #pending = new Map<string, Pending>()

  constructor(readonly shape: TableShape) {}

  get size(): number {
    return this.#pending.size
  }

  #key(row: TupleValues): string {
    let k = ''
    for (const i of this.shape.key) {
      const v = row[i]
      if (v === undefined || v === null) {
        throw new SluiceError({
          code: 'SOURCE_FAILED',
          message: `postgres replication: a change of table ${JSON.stringify(this.shape.table)} lacks key column ${JSON.stringify(this.shape.columns[i]!.name)}; set \`REPLICA IDENTITY FULL\` on it`,
          context: { table: this.shape.table },
        })
      }
      k += `${v}\u0000`
    }
    return k
  }

  insert(row: TupleValues): void {
    this.#pending.set(this.#key(row), { op: 'upsert', row })
  }

  update(old: TupleValues | undefined, row: TupleValues): void {
    const key = this.#key(row)
    if (old) {
      const oldKey = this.#key(old)
      if (oldKey !== key) {
        this.#pending.set(oldKey, { op: 'delete', row: old })
        // The row moved to a new key: values the WAL left out are the old row's (with REPLICA IDENTITY FULL).
        row = row.map((v, i) => (v === undefined && old[i] !== null ? old[i] : v))
      }
    }
    if (!row.includes(undefined)) {
      this.#pending.set(key, { op: 'upsert', row })
      return
    }
    const before = this.#pending.get(key)
    if (before && before.op !== 'delete') {
      this.#pending.set(key, { op: before.op, row: row.map((v, i) => (v === undefined ? before.row[i] : v)) })
    } else {
      this.#pending.set(key, { op: 'update', row })
    }
  }

  delete(old: TupleValues): void {
    this.#pending.set(this.#key(old), { op: 'delete', row: old })
  }

  /** The window as records messages (empties it): deletes, whole rows, then updates grouped by the columns they carry. */
  async flush(types: RelationTypes): Promise<Message[]> {
    const { table, columns, output, key } = this.shape
    const deletes: TupleValues[] = []
    const upserts: TupleValues[] = []
    const updates = new Map<string, TupleValues[]>()
    for (const p of this.#pending.values()) {
      if (p.op === 'delete') deletes.push(p.row)
      else if (p.op === 'upsert') upserts.push(p.row)
      else {
        const mask = output.map((i) => (p.row[i] === undefined ? '0' : '1')).join('')
        const list = updates.get(mask) ?? updates.set(mask, []).get(mask)!
        list.push(p.row)
      }
    }
    this.#pending.clear()
    const out: Message[] = []
    const emit = async (op: 'upsert' | 'update' | 'delete', indexes: readonly number[], rows: TupleValues[]) => {
      if (rows.length === 0) return
      const cols = indexes.map((i) => columns[i]!)
      const projected = rows.map((r) => indexes.map((i) => r[i]))
      for (const [c, col] of cols.entries()) {
        if (!col.select.startsWith('to_json(')) continue
        const json = await types.toJson(col.sqlType, projected.map((r) => r[c] ?? null))
        for (const [n, r] of projected.entries()) r[c] = json[n]
      }
      out.push({ kind: 'records', table, op, batch: buildBatch(cols, projected) })
    }
    await emit('delete', key, deletes)
    await emit('upsert', output, upserts)
    for (const [mask, rows] of updates) {
      const indexes = output.filter((_, n) => mask[n] === '1')
      for (const k of key) if (!indexes.includes(k)) indexes.push(k)
      await emit('update', indexes, rows)
    }
    return out
  }
}

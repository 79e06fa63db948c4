import type { RecordsMessage } from '../../../core/message.js'
import { SluiceError } from '../../../core/sluice-error.js'
import { buildBatch } from '../../sql/batch-builder.js'
import type { MysqlTable } from '../mysql-catalog.js'
import type { MysqlMappedColumn } from '../mysql-type-map.js'

interface Change {
  readonly op: 'upsert' | 'delete'
  readonly row: readonly unknown[]
}

/**
 * Row changes of complete transactions since the last checkpoint, coalesced per key (the last
 * change of a key wins: binlog row images are whole rows, so only the latest matters), turned
 * into columnar batches decoded exactly as the snapshot decodes them.
 */
export class ChangeBuffer {
  readonly #tables = new Map<string, { table: MysqlTable; changes: Map<string, Change> }>()
  #pending: { table: MysqlTable; op: 'upsert' | 'delete'; rows: readonly unknown[][] }[] = []
  #rows = 0
  #pendingRows = 0

  constructor(private readonly mariadb: boolean) {}

  /** Rows of complete transactions held. */
  get rows(): number {
    return this.#rows
  }

  /** Rows of the open transaction. */
  get pendingRows(): number {
    return this.#pendingRows
  }

  /**
   * Row images of the open transaction (kept apart until `commit()`). An update whose key changed
   * (`before` holds the old images) is the delete of the old key, then the upsert of the new one.
   */
  add(table: MysqlTable, op: 'write' | 'update' | 'delete', images: readonly Readonly<Record<string, unknown>>[], before?: readonly Readonly<Record<string, unknown>>[]): void {
    const raw = (image: Readonly<Record<string, unknown>>) => table.output.map((c) => rawValue(c, image[c.name], this.mariadb))
    const rows = images.map(raw)
    if (before) {
      const moved = before.map(raw).filter((old, i) => keyText(table, old) !== keyText(table, rows[i]!))
      if (moved.length > 0) this.#pending.push({ table, op: 'delete', rows: moved })
      this.#pendingRows += moved.length
    }
    this.#pending.push({ table, op: op === 'delete' ? 'delete' : 'upsert', rows })
    this.#pendingRows += rows.length
  }

  /** The open transaction committed: its changes join the buffer. */
  commit(): void {
    for (const { table, op, rows } of this.#pending) {
      let entry = this.#tables.get(table.table)
      if (entry && entry.table !== table) throw new SluiceError({ code: 'INTERNAL', message: `mysql binlog: table ${table.table} changed definition with changes buffered` })
      if (!entry) this.#tables.set(table.table, (entry = { table, changes: new Map() }))
      for (const row of rows) {
        const key = keyText(table, row)
        if (!entry.changes.has(key)) this.#rows++
        entry.changes.delete(key)
        entry.changes.set(key, { op, row })
      }
    }
    this.#pending = []
    this.#pendingRows = 0
  }

  /** Drops the open transaction's changes (the stream stopped inside it: they are read again next time). */
  rollback(): void {
    this.#pending = []
    this.#pendingRows = 0
  }

  /** The buffered changes as records messages (upserts, then deletes, per table), emptying the buffer. */
  *flush(): Generator<RecordsMessage> {
    for (const { table, changes } of this.#tables.values()) {
      const upserts: (readonly unknown[])[] = []
      const deletes: (readonly unknown[])[] = []
      for (const { op, row } of changes.values()) (op === 'upsert' ? upserts : deletes).push(row)
      if (upserts.length > 0) yield { kind: 'records', table: table.table, op: 'upsert', batch: buildBatch(table.output, upserts) }
      if (deletes.length > 0) {
        const keyAt = table.keyAt
        yield { kind: 'records', table: table.table, op: 'delete', batch: buildBatch(table.key, deletes.map((r) => keyAt.map((i) => r[i]))) }
      }
    }
    this.#tables.clear()
    this.#rows = 0
  }
}

function keyText(table: MysqlTable, row: readonly unknown[]): string {
  let text = ''
  for (const i of table.keyAt) {
    const v = row[i]
    text += `${Buffer.isBuffer(v) ? v.toString('hex') : String(v)}\u0000`
  }
  return text
}

/**
 * A binlog value as the keyset reader's query returns it, so one decoder serves both: BIT(n)
 * bytes as the unsigned number's text (the snapshot selects `CAST(b AS UNSIGNED)`), FLOAT as the
 * server prints it, the rest as zongji decodes them with exact options (dates as text in UTC,
 * 64-bit integers and decimals as text, JSON as text, bytes as Buffers).
 */
export function rawValue(c: MysqlMappedColumn, v: unknown, mariadb: boolean): unknown {
  if (v === null || v === undefined) return null
  if (Buffer.isBuffer(v)) return c.type === 'LONG' ? BigInt(`0x${v.toString('hex') || '0'}`).toString() : v
  if (typeof v === 'number' && c.type === 'FLOAT') return floatValue(v, mariadb)
  if (typeof v === 'object') return JSON.stringify(v)
  return v
}

/**
 * A FLOAT read from the binlog is the exact single-precision value; a query returns the server's
 * text of it: MariaDB prints 6 significant digits (`%g`), MySQL the shortest text that reads back
 * as the same float.
 */
function floatValue(v: number, mariadb: boolean): number {
  if (!Number.isFinite(v) || v === 0) return v
  if (mariadb) return Number(v.toPrecision(6))
  for (let p = 1; p < 9; p++) {
    const n = Number(v.toPrecision(p))
    if (Math.fround(n) === v) return n
  }
  return Number(v.toPrecision(9))
}

import { SluiceError } from '../../../core/sluice-error.js'
import type { MysqlTable } from '../mysql-catalog.js'
import { mapMysqlColumn, type MysqlMappedColumn } from '../mysql-type-map.js'
import type { BinlogColumn } from './binlog-stream.js'

/**
 * The table as a row event was written: its columns in the event's order (names and types from
 * the table map, `binlog_row_metadata = FULL`), each mapped as the catalog maps it today when it
 * still exists (so snapshot and stream decode alike), else from the table map's type (a column
 * dropped since). Events written before an ALTER TABLE thus land with the columns they had.
 */
export class EventLayouts {
  readonly #cache = new Map<string, { base: MysqlTable; columns: readonly BinlogColumn[]; signature: string; table: MysqlTable }>()

  constructor(private readonly includes: (table: string, column: string) => boolean) {}

  /** The layout for an event of `base.table` with these table-map columns; `changed` when it differs from the last one. */
  layout(base: MysqlTable, columns: readonly BinlogColumn[]): { table: MysqlTable; changed: boolean } {
    const last = this.#cache.get(base.table)
    if (last && last.base === base && last.columns === columns) return { table: last.table, changed: false }
    const signature = columns.map((c) => `${c.COLUMN_NAME}\u0000${c.COLUMN_TYPE}\u0000${c.UNSIGNED ?? ''}`).join('\u0001')
    if (last && last.base === base && last.signature === signature) {
      this.#cache.set(base.table, { ...last, columns })
      return { table: last.table, changed: false }
    }
    const table = eventTable(base, columns, (c) => this.includes(base.table, c))
    this.#cache.set(base.table, { base, columns, signature, table })
    return { table, changed: last !== undefined && last.table.output.map((c) => c.name).join('\u0000') !== table.output.map((c) => c.name).join('\u0000') }
  }
}

function eventTable(base: MysqlTable, columns: readonly BinlogColumn[], include: (column: string) => boolean): MysqlTable {
  const known = new Map(base.output.map((c) => [c.name, c]))
  // Same columns in the same order as the catalog: the table itself (its key indexes and spec hold).
  const names = columns.map((c) => c.COLUMN_NAME).filter((n) => known.has(n) || include(n))
  if (names.length === base.output.length && names.every((n, i) => base.output[i]!.name === n)) return base
  const output: MysqlMappedColumn[] = columns.filter((c) => names.includes(c.COLUMN_NAME)).map((c) => known.get(c.COLUMN_NAME) ?? fromTableMap(c))
  const keyAt = base.key.map((k) => output.indexOf(k))
  if (keyAt.some((i) => i < 0)) {
    throw new SluiceError({
      code: 'SOURCE_FAILED',
      message: `mysqlSource.replication: a binlog event of table ${base.table} lacks its key column(s) ${base.key.map((k) => k.name).join(', ')} (was the key changed by an ALTER TABLE?); reset the connector to copy the table again`,
      context: { table: base.table },
    })
  }
  return { ...base, output, keyAt, spec: { ...base.spec, columns: Object.fromEntries(output.map((c) => [c.name, c.type])) } }
}

/** A column known only from a table map: `decimal(10,2)`, `varchar(20)`, `bigint` (+ signedness) … */
function fromTableMap(c: BinlogColumn): MysqlMappedColumn {
  const type = c.COLUMN_TYPE.toLowerCase()
  const dataType = /^[a-z]+/.exec(type)?.[0] ?? type
  const numbers = /\((\d+)(?:,(\d+))?\)/.exec(type)
  const decimal = dataType === 'decimal'
  return mapMysqlColumn({
    name: c.COLUMN_NAME,
    dataType,
    columnType: c.UNSIGNED ? `${type} unsigned` : type,
    precision: decimal && numbers ? Number(numbers[1]) : null,
    scale: decimal && numbers ? Number(numbers[2] ?? 0) : null,
    notNull: false,
    json: dataType === 'json',
  })
}

import type mysql from 'mysql2/promise'
import { SluiceError } from '../../core/sluice-error.js'
import { resolveTable, type KeysetTable, type RawColumn } from '../sql/keyset-table.js'
import type { TablePlan } from '../sql/table-options.js'
import { mapMysqlColumn, type MysqlMappedColumn } from './mysql-type-map.js'

/** A MySQL table ready to read. */
export interface MysqlTable extends KeysetTable<MysqlMappedColumn> {
  /** `` `database`.`table` ``. */
  readonly relation: string
}

const quote = (name: string) => `\`${name.replace(/`/g, '``')}\``

/**
 * Reads columns, types and primary keys from `information_schema` for the configured tables and
 * resolves each against its options. A table without a primary key needs `primaryKey` (InnoDB's
 * hidden row id can't be selected).
 */
export async function discoverMysqlTables(conn: mysql.PoolConnection, database: string, plans: readonly TablePlan[]): Promise<MysqlTable[]> {
  const names = plans.map((p) => p.table)
  const [columns] = await conn.query<mysql.RowDataPacket[]>({
    sql: `SELECT TABLE_NAME AS tbl, COLUMN_NAME AS name, LOWER(DATA_TYPE) AS dataType, LOWER(COLUMN_TYPE) AS columnType,
       NUMERIC_PRECISION AS p, NUMERIC_SCALE AS s, IS_NULLABLE AS nullable
     FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME IN (?) ORDER BY TABLE_NAME, ORDINAL_POSITION`,
    values: [database, names],
    rowsAsArray: false,
  })
  const [keys] = await conn.query<mysql.RowDataPacket[]>({
    sql: `SELECT TABLE_NAME AS tbl, COLUMN_NAME AS name, SEQ_IN_INDEX AS seq FROM information_schema.STATISTICS
     WHERE TABLE_SCHEMA = ? AND TABLE_NAME IN (?) AND INDEX_NAME = 'PRIMARY'`,
    values: [database, names],
    rowsAsArray: false,
  })
  const jsonColumns = await mariadbJsonColumns(conn, database, names)
  const pk = new Map(keys.map((k) => [`${k.tbl}\u0000${k.name}`, Number(k.seq)]))
  return plans.map((plan) => {
    const rows = columns.filter((c) => c.tbl === plan.table)
    if (rows.length === 0) {
      throw new SluiceError({
        code: 'CONFIG_INVALID',
        message: `mysql source: table ${JSON.stringify(plan.table)} not found in database ${JSON.stringify(database)} (or not visible to this user); check the name and its case`,
        context: { database, table: plan.table },
      })
    }
    const raw: RawColumn<MysqlMappedColumn>[] = rows.map((c) => ({
      mapped: mapMysqlColumn({
        name: c.name, dataType: c.dataType, columnType: c.columnType, precision: c.p === null ? null : Number(c.p), scale: c.s === null ? null : Number(c.s),
        notNull: c.nullable === 'NO', json: jsonColumns.has(`${plan.table}\u0000${c.name}`),
      }),
      pk: pk.get(`${plan.table}\u0000${c.name}`) ?? 0,
    }))
    return { ...resolveTable('mysql', plan, raw, undefined), relation: `${quote(database)}.${quote(plan.table)}` }
  })
}

/** MariaDB declares JSON columns as LONGTEXT with `CHECK (json_valid(col))`; MySQL has a real JSON type (and no TABLE_NAME here). */
async function mariadbJsonColumns(conn: mysql.PoolConnection, database: string, tables: readonly string[]): Promise<Set<string>> {
  try {
    const [checks] = await conn.query<mysql.RowDataPacket[]>({
      sql: `SELECT TABLE_NAME AS tbl, CHECK_CLAUSE AS clause FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ? AND TABLE_NAME IN (?)`,
      values: [database, tables],
      rowsAsArray: false,
    })
    const out = new Set<string>()
    for (const c of checks) {
      const m = /^json_valid\(`((?:[^`]|``)+)`\)$/i.exec(String(c.clause).trim())
      if (m) out.add(`${c.tbl}\u0000${m[1]!.replace(/``/g, '`')}`)
    }
    return out
  } catch {
    return new Set()
  }
}

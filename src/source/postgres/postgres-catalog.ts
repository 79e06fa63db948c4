import type pg from 'pg'
import { SluiceError } from '../../core/sluice-error.js'
import { resolveTable, type KeysetTable, type RawColumn } from '../sql/keyset-table.js'
import { mapPgColumn, type PgCatalogColumn, type PgMappedColumn } from './postgres-type-map.js'
import type { TablePlan } from '../sql/table-options.js'

/** A Postgres table ready to read: its keyset plan plus the catalog facts the queries need. */
export interface PgTable extends KeysetTable<PgMappedColumn> {
  /** `"schema"."table"`. */
  readonly relation: string
}

const COLUMNS_SQL = `
SELECT c.oid::int8::text AS rel, c.relname, c.relkind, a.attname AS name, format_type(a.atttypid, a.atttypmod) AS "sqlType",
  bt.typname, bt.typcategory AS category, bt.typtype,
  CASE WHEN t.typtype = 'd' THEN t.typtypmod ELSE a.atttypmod END AS typmod,
  (a.attnotnull OR (t.typtype = 'd' AND t.typnotnull)) AS "notNull",
  coalesce((SELECT k.n FROM unnest(pk.indkey) WITH ORDINALITY AS k(attnum, n) WHERE k.attnum = a.attnum), 0)::int AS pk
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
JOIN pg_type t ON t.oid = a.atttypid
JOIN pg_type bt ON bt.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
LEFT JOIN pg_index pk ON pk.indrelid = c.oid AND pk.indisprimary
WHERE n.nspname = $1 AND c.relname = ANY($2::text[]) AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
ORDER BY c.relname, a.attnum`

/**
 * Reads tables, columns, types and primary keys from `pg_catalog` for the configured tables and
 * resolves each against its options. A table without a primary key (and no `primaryKey` option)
 * is ordered by `ctid` when it is a plain table; a view or partitioned table then needs `primaryKey`.
 */
export async function discoverPgTables(client: pg.ClientBase, schema: string, plans: readonly TablePlan[]): Promise<PgTable[]> {
  const r = await client.query<PgCatalogColumn & { rel: string; relname: string; relkind: string; pk: number }>(COLUMNS_SQL, [schema, plans.map((p) => p.table)])
  const byTable = new Map<string, typeof r.rows>()
  for (const row of r.rows) {
    const list = byTable.get(row.relname) ?? []
    list.push(row)
    byTable.set(row.relname, list)
  }
  return plans.map((plan) => {
    const rows = byTable.get(plan.table)
    if (!rows) {
      throw new SluiceError({
        code: 'CONFIG_INVALID',
        message: `postgres source: table ${JSON.stringify(plan.table)} not found in schema ${JSON.stringify(schema)} (or not visible to this user); check the name and its case`,
        context: { schema, table: plan.table },
      })
    }
    const relation = `"${schema.replace(/"/g, '""')}"."${plan.table.replace(/"/g, '""')}"`
    const columns: RawColumn<PgMappedColumn>[] = rows.map((row) => ({ mapped: mapPgColumn(row), pk: row.pk }))
    const rowIdentity = rows[0]!.relkind === 'r' || rows[0]!.relkind === 'm' ? CTID : undefined
    return { ...resolveTable('postgres', plan, columns, rowIdentity), relation }
  })
}

/** The hidden row identity of a keyless plain table: ordered, castable back from text. */
const CTID: PgMappedColumn = {
  name: 'ctid',
  type: 'STRING',
  decode: (raw) => raw as string,
  fallback: { type: 'STRING', decode: (raw) => raw as string },
  select: 'ctid',
  cursorKind: 'other',
  sqlType: 'tid',
  notNull: true,
}

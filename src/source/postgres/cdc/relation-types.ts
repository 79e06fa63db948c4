import type pg from 'pg'
import { mapPgColumn, type PgCatalogColumn, type PgMappedColumn } from '../postgres-type-map.js'
import type { RelationColumn } from './pgoutput-decoder.js'

const TYPES_SQL = `
SELECT q.oid::int8::text AS oid, q.typmod AS "wireTypmod", format_type(t.oid, q.typmod) AS "sqlType", bt.typname, bt.typcategory AS category, bt.typtype,
  CASE WHEN t.typtype = 'd' THEN t.typtypmod ELSE q.typmod END AS typmod
FROM unnest($1::oid[], $2::int[]) AS q(oid, typmod)
JOIN pg_type t ON t.oid = q.oid
JOIN pg_type bt ON bt.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END`

/**
 * Resolves a relation message's columns (type OID + typmod) to the same mapped columns the
 * keyset reader gets from the catalog (domains to their base type), cached per OID and typmod;
 * and turns array and composite literals into the JSON the snapshot selects with `to_json`.
 */
export class RelationTypes {
  readonly #client: pg.ClientBase
  readonly #cache = new Map<string, Omit<PgCatalogColumn, 'name' | 'notNull'>>()

  constructor(client: pg.ClientBase) {
    this.#client = client
  }

  /** The mapped columns of a relation, in its order. */
  async map(columns: readonly RelationColumn[]): Promise<PgMappedColumn[]> {
    const key = (c: { typeOid: number; typmod: number }) => `${c.typeOid}:${c.typmod}`
    const missing = columns.filter((c) => !this.#cache.has(key(c)))
    if (missing.length > 0) {
      const r = await this.#client.query<PgCatalogColumn & { oid: string; wireTypmod: number }>(TYPES_SQL, [missing.map((c) => c.typeOid), missing.map((c) => c.typmod)])
      for (const row of r.rows) {
        const { oid, wireTypmod, ...type } = row
        this.#cache.set(`${oid}:${wireTypmod}`, type)
      }
    }
    return columns.map((c) => {
      const type = this.#cache.get(key(c))
      // A type dropped since the change was written: its text, as text.
      return mapPgColumn({ name: c.name, notNull: false, ...(type ?? { sqlType: 'text', typname: 'text', category: 'S', typtype: 'b', typmod: -1 }) })
    })
  }

  /** Postgres literals of one array or composite type as `to_json(value)` text (NULL stays NULL), in one round trip. */
  async toJson(sqlType: string, literals: readonly (string | null)[]): Promise<(string | null)[]> {
    const r = await this.#client.query<{ j: string | null }>(`SELECT to_json(v::${sqlType})::text AS j FROM unnest($1::text[]) WITH ORDINALITY AS u(v, n) ORDER BY n`, [literals])
    return r.rows.map((row) => row.j)
  }
}

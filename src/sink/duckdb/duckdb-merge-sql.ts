import type { RecordOp } from '../../core/message.js'
import { quoteIdent } from '../../core/normalize-name.js'
import { keyNames, SYSTEM, type LayoutColumn, type TableLayout } from '../layout/table-layout.js'
import { duckdbType, HISTORY, stagingType } from './duckdb-ddl.js'

/** A staging table: temp, one per column set, emptied after each use. */
export interface Staging {
  readonly name: string
  /** Destination column of each staging column, in order (`undefined` for the row hash). */
  readonly targets: readonly (LayoutColumn | undefined)[]
}

/** Where a history version that never closed ends, as Fivetran marks it. */
const END_OF_TIME = "CAST('9999-12-31T23:59:59.999Z' AS TIMESTAMPTZ)"

const q = quoteIdent
const from = (staging: Staging) => `temp.main.${q(staging.name)}`

/** The staged value of a column, as the destination type (DECIMAL and JSON are staged as text and cast here). */
function staged(staging: Staging, i: number, alias = ''): string {
  const target = staging.targets[i]
  const source = `${alias}${q(`c${i}`)}`
  return target && stagingType(target.type) !== duckdbType(target.type) ? `CAST(${source} AS ${duckdbType(target.type)})` : source
}

/** `table.key = s.cN AND …` for each key column (`_sluice_id` for a keyless table). */
export function keyConditions(layout: TableLayout, staging: Staging, table: string): string {
  return keyNames(layout)
    .map((k) => {
      const at = staging.targets.findIndex((t) => (t ? t.name === k : k === SYSTEM.id))
      return `${table}.${q(k)} = s.${q(`c${at}`)}`
    })
    .join(' AND ')
}

/** INSERT of the staged rows with `synced` (a SQL expression) as their write time. */
export function insertSql(layout: TableLayout, staging: Staging, synced: string): string {
  const columns = staging.targets.map((t) => q(t ? t.name : SYSTEM.id))
  const selects = staging.targets.map((_, i) => staged(staging, i))
  columns.push(q(SYSTEM.synced), q(SYSTEM.deleted))
  selects.push(synced, 'false')
  return `INSERT INTO ${q(layout.name)} (${columns.join(', ')}) SELECT ${selects.join(', ')} FROM ${from(staging)}`
}

/** INSERT … ON CONFLICT DO UPDATE: upsert writes the whole row (absent columns become NULL), update only the given ones. */
export function mergeSql(layout: TableLayout, op: RecordOp, staging: Staging, synced: string): string {
  const given = new Set(staging.targets.flatMap((t) => (t ? [t.source] : [])))
  const sets: string[] = []
  for (const c of layout.columns) {
    if (layout.primaryKey.includes(c.source)) continue
    if (given.has(c.source)) sets.push(`${q(c.name)} = excluded.${q(c.name)}`)
    else if (op === 'upsert') sets.push(`${q(c.name)} = NULL`)
  }
  sets.push(`${q(SYSTEM.synced)} = excluded.${q(SYSTEM.synced)}`, `${q(SYSTEM.deleted)} = false`)
  return `${insertSql(layout, staging, synced)} ON CONFLICT (${keyNames(layout).map(q).join(', ')}) DO UPDATE SET ${sets.join(', ')}`
}

/** A `match: 'column'` delete: soft-deletes the live rows whose column (staged alone) holds a staged value; history tables close them too. */
export function deleteMatchingSql(layout: TableLayout, staging: Staging, synced: string): string {
  const column = q(staging.targets[0]!.name)
  const hit = `${column} IN (SELECT ${staged(staging, 0)} FROM ${from(staging)})`
  if (layout.mode === 'history') {
    return `UPDATE ${q(layout.name)} SET ${q(HISTORY.active)} = false, ${q(HISTORY.end)} = ${synced}, ${q(SYSTEM.deleted)} = true, ${q(SYSTEM.synced)} = ${synced}
    WHERE ${hit} AND ${q(HISTORY.active)}`
  }
  return `UPDATE ${q(layout.name)} SET ${q(SYSTEM.deleted)} = true, ${q(SYSTEM.synced)} = ${synced} WHERE ${hit} AND NOT ${q(SYSTEM.deleted)}`
}

/** Soft delete by key (by `_sluice_id` for a keyless table); other columns keep their values. */
export function deleteSql(layout: TableLayout, staging: Staging, synced: string): string {
  const table = q(layout.name)
  return `UPDATE ${table} SET ${q(SYSTEM.deleted)} = true, ${q(SYSTEM.synced)} = ${synced}
    FROM ${from(staging)} s WHERE ${keyConditions(layout, staging, table)}`
}

/**
 * History mode (SCD2), as the Postgres sink keeps it. For each staged key: when there is no
 * active version, or the active one differs in a written column, a new active version starts at
 * `synced`; the version it replaces is closed (`_sluice_active = false`, `_sluice_end` = 1 ms
 * before the new start). A re-sent unchanged row only refreshes `_sluice_synced`, so replays add
 * no versions. An update carries the replaced version's other columns into the new one. Closing
 * runs first, so a key has one active version at every moment.
 */
export function historySql(layout: TableLayout, op: RecordOp, staging: Staging, synced: string): string {
  const table = q(layout.name)
  const keys = new Set(keyNames(layout))
  const index = new Map(staging.targets.map((t, i) => [t ? t.name : SYSTEM.id, i]))
  const all = [...layout.columns.map((c) => c.name), ...(layout.primaryKey.length === 0 ? [SYSTEM.id] : [])]
  const typeOf = new Map(layout.columns.map((c) => [c.name, duckdbType(c.type)]))
  const value = (c: string, previous: string) => {
    const at = index.get(c)
    if (at !== undefined) return staged(staging, at, 's.')
    return op === 'update' ? `${previous}.${q(c)}` : `CAST(NULL AS ${typeOf.get(c) ?? 'VARCHAR'})`
  }
  const compared = all.filter((c) => !keys.has(c) && (op === 'upsert' || index.has(c)))
  const differs = compared.length ? `(${compared.map((c) => `t.${q(c)} IS DISTINCT FROM ${value(c, 't')}`).join(' OR ')})` : 'false'
  const closedAt = `(${synced} - INTERVAL 1 MILLISECOND)`
  const on = (alias: string) => keyConditions(layout, staging, alias)
  const close = `UPDATE ${table} AS t SET ${q(SYSTEM.synced)} = ${synced}, ${q(HISTORY.active)} = NOT ${differs},
  ${q(HISTORY.end)} = CASE WHEN ${differs} THEN ${closedAt} ELSE t.${q(HISTORY.end)} END
FROM ${from(staging)} AS s WHERE ${on('t')} AND t.${q(HISTORY.active)}`
  // `p`, the replaced version, is the one the close just ended (its end and write time): a version a delete
  // closed 1 ms before this batch started also ends there, and an update must not carry its columns.
  const open = `INSERT INTO ${table} (${[...all.map(q), q(SYSTEM.synced), q(SYSTEM.deleted), q(HISTORY.start), q(HISTORY.end), q(HISTORY.active)].join(', ')})
SELECT ${all.map((c) => value(c, 'p')).join(', ')}, ${synced}, false, ${synced}, ${END_OF_TIME}, true
FROM ${from(staging)} AS s LEFT JOIN ${table} AS p ON ${on('p')} AND p.${q(HISTORY.end)} = ${closedAt} AND p.${q(SYSTEM.synced)} = ${synced}
WHERE NOT EXISTS (SELECT 1 FROM ${table} AS a WHERE ${on('a')} AND a.${q(HISTORY.active)})`
  return `${close};\n${open}`
}

/** History mode: a delete closes the active version at `synced` and marks it deleted. */
export function historyDeleteSql(layout: TableLayout, staging: Staging, synced: string): string {
  const table = q(layout.name)
  return `UPDATE ${table} AS t SET ${q(HISTORY.active)} = false, ${q(HISTORY.end)} = ${synced}, ${q(SYSTEM.deleted)} = true, ${q(SYSTEM.synced)} = ${synced}
FROM ${from(staging)} AS s WHERE ${keyConditions(layout, staging, 't')} AND t.${q(HISTORY.active)}`
}

import type { RecordOp } from '../../core/message.js'
import { SluiceError } from '../../core/sluice-error.js'
import { quoteIdent } from '../../core/normalize-name.js'
import { keyNames, SYSTEM, type TableLayout } from '../layout/table-layout.js'
import { END_OF_TIME, HISTORY, pgType, qualified } from './postgres-ddl.js'

/** What a merge moves: from which staging table into which destination table, which columns the batch gave. */
export interface MergePlan {
  readonly schema: string
  readonly layout: TableLayout
  /** Quoted name of the staging table (`pg_temp."…"`). */
  readonly stage: string
  /** Destination names of the batch's columns (keys included; `_sluice_id` is added for keyless tables). */
  readonly given: readonly string[]
}

const q = quoteIdent
/** A timestamptz literal of our own ISO text (checked, so nothing from a tampered state row can reach the SQL). */
function lit(iso: string): string {
  if (!/^[0-9TZ:.+-]+$/.test(iso)) {
    throw new SluiceError({ code: 'STATE_INVALID', message: `postgres: a saved sync time is not an ISO timestamp: ${JSON.stringify(iso)}` })
  }
  return `'${iso}'::timestamptz`
}

function keysOf(plan: MergePlan): string[] {
  return keyNames(plan.layout)
}

function stagedColumns(plan: MergePlan): string[] {
  return plan.layout.primaryKey.length === 0 ? [...plan.given, SYSTEM.id] : [...plan.given]
}

function joinOn(left: string, right: string, keys: readonly string[]): string {
  return keys.map((k) => `${left}.${q(k)} = ${right}.${q(k)}`).join(' AND ')
}

/**
 * Upsert or update through the staging table (modes upsert, replace): one
 * `INSERT … SELECT … ON CONFLICT DO UPDATE`. An upsert writes the whole row (columns the batch
 * did not give become NULL); an update sets only the given columns. Either undoes a soft delete.
 */
export function upsertSql(plan: MergePlan, op: Exclude<RecordOp, 'delete'>, synced: string): string {
  const table = qualified(plan.schema, plan.layout.name)
  const keys = keysOf(plan)
  const cols = stagedColumns(plan)
  const given = new Set(cols)
  const keySet = new Set(keys)
  const sets: string[] = []
  for (const c of cols) if (!keySet.has(c)) sets.push(`${q(c)} = EXCLUDED.${q(c)}`)
  if (op === 'upsert') for (const c of plan.layout.columns) if (!given.has(c.name)) sets.push(`${q(c.name)} = NULL`)
  sets.push(`${q(SYSTEM.synced)} = EXCLUDED.${q(SYSTEM.synced)}`, `${q(SYSTEM.deleted)} = false`)
  return `INSERT INTO ${table} AS t (${[...cols, SYSTEM.synced, SYSTEM.deleted].map(q).join(', ')})
SELECT ${cols.map(q).join(', ')}, ${lit(synced)}, false FROM ${plan.stage}
ON CONFLICT (${keys.map(q).join(', ')}) DO UPDATE SET ${sets.join(', ')}`
}

/** Soft-deletes the staged keys (every mode but history): `_sluice_deleted = true`, other columns kept. */
export function deleteSql(plan: MergePlan, synced: string): string {
  const table = qualified(plan.schema, plan.layout.name)
  return `UPDATE ${table} AS t SET ${q(SYSTEM.deleted)} = true, ${q(SYSTEM.synced)} = ${lit(synced)}
FROM ${plan.stage} AS s WHERE ${joinOn('t', 's', keysOf(plan))}`
}

/**
 * History mode (SCD2). For each staged key: when there is no active version, or the active one
 * differs in a written column, a new active version starts at `synced`; the version it replaces
 * is closed (`_sluice_active = false`, `_sluice_end` = 1 ms before the new start, as Fivetran
 * does). A re-sent unchanged row only refreshes `_sluice_synced`, so replays add no versions. An
 * update carries the replaced version's other columns into the new one. Two statements, closing
 * first: the unique index allows one active version per key at every moment.
 */
export function historySql(plan: MergePlan, op: Exclude<RecordOp, 'delete'>, synced: string): string {
  const table = qualified(plan.schema, plan.layout.name)
  const keys = keysOf(plan)
  const keySet = new Set(keys)
  const staged = stagedColumns(plan)
  const given = new Set(staged)
  const all = [...plan.layout.columns.map((c) => c.name), ...(plan.layout.primaryKey.length === 0 ? [SYSTEM.id] : [])]
  const typeOf = new Map(plan.layout.columns.map((c) => [c.name, pgType(c.type)]))
  const value = (c: string, previous: string) => (given.has(c) ? `s.${q(c)}` : op === 'update' ? `${previous}.${q(c)}` : `NULL::${typeOf.get(c) ?? 'text'}`)
  const compared = all.filter((c) => !keySet.has(c) && (op === 'upsert' || given.has(c)))
  const differs = compared.length
    ? `ROW(${compared.map((c) => `t.${q(c)}`).join(', ')}) IS DISTINCT FROM ROW(${compared.map((c) => value(c, 't')).join(', ')})`
    : 'false'
  const h = { synced: q(SYSTEM.synced), deleted: q(SYSTEM.deleted), start: q(HISTORY.start), end: q(HISTORY.end), active: q(HISTORY.active) }
  const closedAt = `(${lit(synced)} - interval '1 millisecond')`
  const close = `UPDATE ${table} AS t SET ${h.synced} = ${lit(synced)}, ${h.active} = NOT (${differs}),
  ${h.end} = CASE WHEN ${differs} THEN ${closedAt} ELSE t.${h.end} END
FROM ${plan.stage} AS s WHERE ${joinOn('t', 's', keys)} AND t.${h.active}`
  // `p`, the replaced version, is the one the close just ended (its end and write time): a version a delete
  // closed 1 ms before this batch started also ends there, and an update must not carry its columns.
  const open = `INSERT INTO ${table} (${[...all.map(q), h.synced, h.deleted, h.start, h.end, h.active].join(', ')})
SELECT ${all.map((c) => value(c, 'p')).join(', ')}, ${lit(synced)}, false, ${lit(synced)}, ${lit(END_OF_TIME)}, true
FROM ${plan.stage} AS s LEFT JOIN ${table} AS p ON ${joinOn('p', 's', keys)} AND p.${h.end} = ${closedAt} AND p.${h.synced} = ${lit(synced)}
WHERE NOT EXISTS (SELECT 1 FROM ${table} AS a WHERE ${joinOn('a', 's', keys)} AND a.${h.active})`
  return `${close};\n${open}`
}

/** History mode: a delete closes the active version at `synced` and marks it deleted. */
export function historyDeleteSql(plan: MergePlan, synced: string): string {
  const table = qualified(plan.schema, plan.layout.name)
  return `UPDATE ${table} AS t SET ${q(HISTORY.active)} = false, ${q(HISTORY.end)} = ${lit(synced)}, ${q(SYSTEM.deleted)} = true, ${q(SYSTEM.synced)} = ${lit(synced)}
FROM ${plan.stage} AS s WHERE ${joinOn('t', 's', keysOf(plan))} AND t.${q(HISTORY.active)}`
}

/**
 * A `match: 'column'` delete: soft-deletes the live rows whose `column` (destination name) is
 * among the staged values (history tables: closes their active versions too).
 */
export function deleteMatchingSql(plan: MergePlan, column: string, synced: string): string {
  const table = qualified(plan.schema, plan.layout.name)
  const hit = `${q(column)} IN (SELECT s.${q(column)} FROM ${plan.stage} AS s)`
  if (plan.layout.mode === 'history') {
    return `UPDATE ${table} SET ${q(HISTORY.active)} = false, ${q(HISTORY.end)} = ${lit(synced)}, ${q(SYSTEM.deleted)} = true, ${q(SYSTEM.synced)} = ${lit(synced)}
WHERE ${hit} AND ${q(HISTORY.active)}`
  }
  return `UPDATE ${table} SET ${q(SYSTEM.deleted)} = true, ${q(SYSTEM.synced)} = ${lit(synced)} WHERE ${hit} AND NOT ${q(SYSTEM.deleted)}`
}

/**
 * A deferred truncate applied at the end of a successful sync: rows written before `before`
 * are soft-deleted (history tables: their active versions are closed too).
 */
export function truncateSql(schema: string, layout: TableLayout, before: string, now: string): string {
  const table = qualified(schema, layout.name)
  const deleted = q(SYSTEM.deleted)
  const synced = q(SYSTEM.synced)
  if (layout.mode === 'history') {
    return `UPDATE ${table} SET ${deleted} = true, ${synced} = ${lit(now)}, ${q(HISTORY.active)} = false, ${q(HISTORY.end)} = ${lit(now)}
WHERE ${synced} < ${lit(before)} AND ${q(HISTORY.active)}`
  }
  return `UPDATE ${table} SET ${deleted} = true, ${synced} = ${lit(now)} WHERE ${synced} < ${lit(before)} AND NOT ${deleted}`
}

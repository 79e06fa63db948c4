import type pg from 'pg'
import { checkPassed, type CheckResult } from '../../contracts/check.js'
import { pgConnectFailure } from '../../db/postgres-check-failure.js'
import { connectClient, poolFor, type PostgresConnection } from '../../db/postgres-connection.js'

/**
 * The checks of `postgresSource`: connect and `select 1`; for each table, that it exists and the
 * role has `SELECT` on it (`has_table_privilege`); with `replication`, that the role has the
 * `REPLICATION` attribute and `wal_level` is `logical`. A failure says the SQL that fixes it.
 *
 * @example
 * ```ts
 * import { postgresCheck } from './postgres-check.js'
 * const results = await postgresCheck({ connection: 'postgres://reader@127.0.0.1:5432/shop', schema: 'public', tables: ['orders'], replication: false })
 * console.log(results.every((r) => r.ok))
 * ```
 */
export async function postgresCheck(args: {
  readonly connection: PostgresConnection
  readonly schema: string
  readonly tables: readonly string[]
  readonly replication: boolean
}): Promise<CheckResult[]> {
  const handle = poolFor(args.connection, 1)
  let client: pg.PoolClient
  try {
    client = await connectClient(handle, 'SOURCE_FAILED', 'postgres source')
  } catch (error) {
    if (handle.owned) await handle.pool.end().catch(() => {})
    return [pgConnectFailure('postgres: connect', error)]
  }
  const results: CheckResult[] = []
  try {
    const who = (await client.query<{ role: string }>('select current_user as role')).rows[0]!.role
    results.push(checkPassed('postgres: connect', `connected to ${handle.target} as ${who}; select 1 answered`))
    for (const table of args.tables) {
      const name = `${args.schema}.${table}: SELECT`
      const qualified = `${quoteIdent(args.schema)}.${quoteIdent(table)}`
      const row = (await client.query<{ found: boolean; allowed: boolean | null }>(
        'select to_regclass($1) is not null as found, case when to_regclass($1) is null then null else has_table_privilege(to_regclass($1), $2) end as allowed',
        [qualified, 'SELECT'],
      )).rows[0]!
      if (!row.found) results.push({ name, ok: false, message: `table ${args.schema}.${table} does not exist (or ${who} can't see its schema)`, hint: `check the table name, the schema option, and GRANT USAGE ON SCHEMA ${quoteIdent(args.schema)} TO ${quoteIdent(who)};`, code: 'SOURCE_FAILED' })
      else if (!row.allowed) results.push({ name, ok: false, message: `role ${who} has no SELECT on ${args.schema}.${table}`, hint: `GRANT SELECT ON ${qualified} TO ${quoteIdent(who)};`, code: 'SOURCE_FAILED' })
      else results.push(checkPassed(name, `${who} can read ${args.schema}.${table}`))
    }
    if (args.replication) {
      const role = (await client.query<{ replication: boolean }>('select rolreplication or rolsuper as replication from pg_roles where rolname = current_user')).rows[0]
      if (role?.replication) results.push(checkPassed('postgres: REPLICATION', `${who} may replicate`))
      else results.push({ name: 'postgres: REPLICATION', ok: false, message: `role ${who} lacks the REPLICATION attribute that logical replication needs`, hint: `ALTER ROLE ${quoteIdent(who)} REPLICATION;`, code: 'REPLICATION_SETUP' })
      const wal = (await client.query<{ wal_level: string }>('show wal_level')).rows[0]?.wal_level
      if (wal === 'logical') results.push(checkPassed('postgres: wal_level', 'wal_level is logical'))
      else results.push({ name: 'postgres: wal_level', ok: false, message: `wal_level is ${wal ?? 'unknown'}, logical replication needs logical`, hint: "ALTER SYSTEM SET wal_level = 'logical'; then restart Postgres", code: 'REPLICATION_SETUP' })
    }
  } catch (error) {
    results.push(pgConnectFailure('postgres: query', error))
  } finally {
    client.release()
    if (handle.owned) await handle.pool.end()
  }
  return results
}

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`
}

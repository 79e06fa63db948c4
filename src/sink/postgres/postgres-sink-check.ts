import type pg from 'pg'
import { checkPassed, type CheckResult } from '../../contracts/check.js'
import { pgConnectFailure } from '../../db/postgres-check-failure.js'

/**
 * The checks of the Postgres destination: it connects, and the role may create tables in the
 * schema (`CREATE` on it), or, when the schema doesn't exist yet, may create the schema (`CREATE`
 * on the database). `borrow` runs the work on one of the sink's clients.
 *
 * @example
 * ```ts
 * import pg from 'pg'
 * import { postgresSinkCheck } from './postgres-sink-check.js'
 * const pool = new pg.Pool({ connectionString: 'postgres://127.0.0.1:5432/test' })
 * const results = await postgresSinkCheck('raw', async (work) => { const c = await pool.connect(); try { return await work(c) } finally { c.release() } })
 * ```
 */
export async function postgresSinkCheck(schema: string, borrow: <T>(work: (client: pg.PoolClient) => Promise<T>) => Promise<T>): Promise<CheckResult[]> {
  const results: CheckResult[] = []
  try {
    await borrow(async (client) => {
      const row = (await client.query<{ who: string; db: string; exists: boolean; schema_create: boolean | null; db_create: boolean }>(
        `select current_user as who, current_database() as db,
                exists (select 1 from pg_namespace where nspname = $1) as exists,
                case when exists (select 1 from pg_namespace where nspname = $1) then has_schema_privilege($1, 'CREATE') end as schema_create,
                has_database_privilege(current_database(), 'CREATE') as db_create`,
        [schema],
      )).rows[0]!
      results.push(checkPassed('postgres: connect', `connected to database ${row.db} as ${row.who}`))
      const name = `postgres: schema ${schema}`
      const quoted = `"${schema.replaceAll('"', '""')}"`
      const role = `"${row.who.replaceAll('"', '""')}"`
      if (row.exists && row.schema_create) results.push(checkPassed(name, `${row.who} can create tables in schema ${schema}`))
      else if (row.exists) results.push({ name, ok: false, message: `role ${row.who} can't create tables in schema ${schema}`, hint: `GRANT USAGE, CREATE ON SCHEMA ${quoted} TO ${role};`, code: 'DESTINATION_UNAVAILABLE' })
      else if (row.db_create) results.push(checkPassed(name, `schema ${schema} will be created (${row.who} may create schemas in ${row.db})`))
      else results.push({ name, ok: false, message: `schema ${schema} does not exist and role ${row.who} can't create it`, hint: `CREATE SCHEMA ${quoted} AUTHORIZATION ${role}; or GRANT CREATE ON DATABASE "${row.db.replaceAll('"', '""')}" TO ${role};`, code: 'DESTINATION_UNAVAILABLE' })
    })
  } catch (error) {
    results.push(pgConnectFailure(results.length === 0 ? 'postgres: connect' : 'postgres: query', error))
  }
  return results
}

import type pg from 'pg'
import { SluiceError } from '../../../core/sluice-error.js'
import { pgError, quoteLiteral } from '../../../db/postgres-connection.js'
import type { PgTable } from '../postgres-catalog.js'
import type { ReplicationPlan } from './replication-options.js'

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`

function setup(message: string, context: Record<string, unknown> = {}): SluiceError {
  return new SluiceError({ code: 'REPLICATION_SETUP', message: `postgres replication: ${message}`, context })
}

/** `wal_level = logical` and a role that may replicate, or `REPLICATION_SETUP` saying what to change. */
export async function checkServer(client: pg.ClientBase): Promise<void> {
  const r = await client.query<{ wal_level: string; role: string; may: boolean }>(
    `SELECT current_setting('wal_level') AS wal_level, current_user AS role, (SELECT rolreplication OR rolsuper FROM pg_roles WHERE rolname = current_user) AS may`,
  )
  const { wal_level, role, may } = r.rows[0]!
  if (wal_level !== 'logical') {
    throw setup(
      `the server runs wal_level = ${wal_level}; logical replication needs wal_level = logical. Run \`ALTER SYSTEM SET wal_level = logical;\` as a superuser and restart PostgreSQL (also check max_replication_slots and max_wal_senders are at least 1 each beyond what is in use)`,
      { setting: 'wal_level', value: wal_level },
    )
  }
  if (!may) {
    throw setup(`role ${ident(role)} may not replicate; run \`ALTER ROLE ${ident(role)} REPLICATION;\` as a superuser (it also needs SELECT on the tables)`, { role })
  }
}

/**
 * Checks each table can be streamed with its key: a table whose key is not its primary key (no
 * primary key, or `primaryKey` names other columns) needs `REPLICA IDENTITY FULL`, or updates and
 * deletes would not carry the key. Throws `CONFIG_INVALID` naming the table and the SQL.
 */
export async function checkReplicaIdentity(client: pg.ClientBase, schema: string, tables: readonly PgTable[]): Promise<void> {
  const r = await client.query<{ relname: string; ident: string; pk: string[] | null }>(
    `SELECT c.relname, c.relreplident AS ident,
       (SELECT array_agg(a.attname::text ORDER BY k.n) FROM pg_index i CROSS JOIN unnest(i.indkey) WITH ORDINALITY AS k(attnum, n)
        JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum WHERE i.indrelid = c.oid AND i.indisprimary) AS pk
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = ANY($2::text[])`,
    [schema, tables.map((t) => t.table)],
  )
  const byName = new Map(r.rows.map((row) => [row.relname, row]))
  for (const t of tables) {
    const row = byName.get(t.table)
    const key = t.spec.primaryKey ?? []
    const pk = row?.pk ?? []
    const byPk = row?.ident === 'd' && pk.length === key.length && pk.every((c, i) => c === key[i])
    if (row?.ident === 'f' || byPk) continue
    const sql = `ALTER TABLE ${ident(schema)}.${ident(t.table)} REPLICA IDENTITY FULL;`
    const why =
      key.length === 0
        ? `has no primary key: give \`primaryKey\` (columns that identify a row) and run \`${sql}\` so updates and deletes carry whole rows`
        : `is keyed by ${key.join(', ')}, which is not the replica identity its updates and deletes carry; run \`${sql}\``
    throw new SluiceError({ code: 'CONFIG_INVALID', message: `postgres replication: table ${JSON.stringify(t.table)} ${why}`, context: { table: t.table } })
  }
}

/** The role may read every table (the snapshot selects them), or `REPLICATION_SETUP` with the GRANT to run. */
export async function checkSelect(client: pg.ClientBase, schema: string, tables: readonly string[]): Promise<void> {
  const r = await client.query<{ relname: string; role: string }>(
    `SELECT c.relname, current_user AS role FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = $1 AND c.relname = ANY($2::text[]) AND NOT has_table_privilege(c.oid, 'SELECT')`,
    [schema, tables],
  )
  if (r.rows.length === 0) return
  const list = r.rows.map((row) => `${ident(schema)}.${ident(row.relname)}`).join(', ')
  throw setup(`role ${ident(r.rows[0]!.role)} may not read ${list}; run \`GRANT SELECT ON ${list} TO ${ident(r.rows[0]!.role)};\``, { tables: r.rows.map((row) => row.relname) })
}

/** Creates the publication, or adds the tables it lacks (when allowed); returns the tables it added to an existing one. */
export async function ensurePublication(client: pg.ClientBase, plan: ReplicationPlan, schema: string, tables: readonly string[]): Promise<string[]> {
  const list = tables.map((t) => `${ident(schema)}.${ident(t)}`).join(', ')
  const pub = await client.query<{ all: boolean }>(`SELECT puballtables AS all FROM pg_publication WHERE pubname = $1`, [plan.publication])
  const run = async (sql: string, what: string) => {
    if (!plan.create) throw setup(`${what}, and \`create: false\` forbids creating it; run as the table owner: \`${sql}\``, { publication: plan.publication })
    try {
      await client.query(sql)
    } catch (cause) {
      if ((cause as { code?: string }).code === '42501') {
        throw setup(`${what}, and this role may not create it (${(cause as Error).message}); run as the table owner or a superuser: \`${sql}\``, { publication: plan.publication })
      }
      throw pgError('SOURCE_FAILED', `postgres replication: \`${sql}\` failed`, cause)
    }
  }
  if (pub.rows.length === 0) {
    await run(`CREATE PUBLICATION ${ident(plan.publication)} FOR TABLE ${list} WITH (publish_via_partition_root = true);`, `publication ${ident(plan.publication)} doesn't exist`)
    return []
  }
  if (pub.rows[0]!.all) return []
  const has = await client.query<{ tablename: string }>(`SELECT tablename FROM pg_publication_tables WHERE pubname = $1 AND schemaname = $2`, [plan.publication, schema])
  const known = new Set(has.rows.map((r) => r.tablename))
  const missing = tables.filter((t) => !known.has(t))
  if (missing.length > 0) {
    const add = missing.map((t) => `${ident(schema)}.${ident(t)}`).join(', ')
    await run(`ALTER PUBLICATION ${ident(plan.publication)} ADD TABLE ${add};`, `publication ${ident(plan.publication)} lacks ${missing.join(', ')}`)
  }
  return missing
}

/** The slot as `pg_replication_slots` shows it, or undefined when there is none. */
export interface SlotRow {
  readonly plugin: string
  readonly active: boolean
  readonly walStatus: string | null
  readonly confirmedFlush: string | null
}

/** Looks the slot up. */
export async function findSlot(client: pg.ClientBase, slot: string): Promise<SlotRow | undefined> {
  const r = await client.query<SlotRow>(
    `SELECT plugin, active, wal_status AS "walStatus", confirmed_flush_lsn::text AS "confirmedFlush" FROM pg_replication_slots WHERE slot_name = $1`,
    [slot],
  )
  return r.rows[0]
}

/**
 * Waits (up to `ms`) for another session to let go of the slot — the walsender of a killed sync
 * notices its client is gone within moments — then fails retryable `SOURCE_FAILED` naming its pid.
 */
export async function waitSlotFree(client: pg.ClientBase, slot: string, ms = 15_000): Promise<void> {
  const end = Date.now() + ms
  for (;;) {
    const r = await client.query<{ pid: number | null }>(`SELECT active_pid AS pid FROM pg_replication_slots WHERE slot_name = $1`, [slot])
    const pid = r.rows[0]?.pid
    if (pid === undefined || pid === null) return
    if (Date.now() > end) {
      throw new SluiceError({
        code: 'SOURCE_FAILED',
        message: `postgres replication: slot ${ident(slot)} is in use by another session (pid ${pid}); is another sync of this connector running? (\`SELECT pg_terminate_backend(${pid});\` ends it)`,
        retryable: true,
        context: { slot, pid },
      })
    }
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
}

/** Drops the slot if it exists; true when it did. */
export async function dropSlot(client: pg.ClientBase, slot: string): Promise<boolean> {
  const r = await client.query(`SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1`, [slot])
  return (r.rowCount ?? 0) > 0
}

/** `REPLICATION_SETUP` for a slot `create: false` forbids creating, with the SQL. */
export function slotMissing(slot: string): SluiceError {
  return setup(`replication slot ${ident(slot)} doesn't exist, and \`create: false\` forbids creating it; run \`SELECT pg_create_logical_replication_slot(${quoteLiteral(slot)}, 'pgoutput');\``, { slot })
}

/** `REPLICATION_SLOT_LOST`: the slot the state streams from is gone or invalidated. */
export function slotLost(slot: string, why: string): SluiceError {
  return new SluiceError({
    code: 'REPLICATION_SLOT_LOST',
    message: `postgres replication: slot ${ident(slot)} ${why}, so changes since the last sync are lost; set \`replication: { onSlotLost: 'resnapshot' }\` to read every table again (rows gone since are soft-deleted), or reset the connector`,
    context: { slot },
  })
}

import type pg from 'pg'
import { parseState, serializeState } from '../../core/json-state.js'
import { SluiceError } from '../../core/sluice-error.js'
import type { Sink, TableDescription } from '../sink.js'
import { MAX_IDENTIFIER_BYTES, quoteIdent } from '../layout/normalize-name.js'
import type { TableLayout } from '../layout/table-layout.js'
import { checkConnection, connectClient, pgError, poolFor, type PoolHandle, type PostgresConnection } from './postgres-connection.js'
import { hasMeta, loadLayouts, prepareSchema, selectErrors, selectHistory } from './postgres-meta.js'
import { postgresStores, type PostgresAccess } from './postgres-stores.js'
import { readTable } from './postgres-read.js'
import { PostgresRun } from './postgres-run.js'
import { knownOptions } from '../../retry/check-option.js'

/** Options of {@link postgres}. */
export interface PostgresOptions {
  /** A `postgres://` URL, or a `pg.Pool` you already have (sluice borrows one client per sync and never ends your pool). */
  readonly connection: PostgresConnection
  /** Schema of the destination and meta tables (default `'public'`; created if missing). */
  readonly schema?: string
}

/**
 * A PostgreSQL warehouse. Each batch is streamed with `COPY … FROM STDIN` into a temporary
 * staging table and merged with one `INSERT … SELECT … ON CONFLICT DO UPDATE`; data and the
 * state row commit in one transaction at each checkpoint, so a crash at any instant resumes from
 * a state that matches the data exactly. Tables are typed natively (`numeric(p,s)`,
 * `timestamptz`, `jsonb`, `bytea`, …) and support the modes upsert, append, replace and history (SCD2).
 *
 * @example
 * ```ts
 * import { fromIterable, sync } from 'sluice'
 * import { postgres } from 'sluice/postgres'
 * await sync({
 *   source: fromIterable('users', [{ id: 1, name: 'Ada' }], { primaryKey: ['id'] }),
 *   destination: postgres({ connection: 'postgres://localhost:5432/warehouse', schema: 'raw' }),
 * })
 * ```
 */
export function postgres(options: PostgresOptions): Sink {
  knownOptions(options, { connection: true, schema: true }, 'postgres')
  if (typeof options !== 'object' || options === null) {
    throw new SluiceError({ code: 'CONFIG_INVALID', message: 'postgres({ connection, schema }) needs an options object' })
  }
  checkConnection(options.connection, 'postgres.connection')
  const schema = options.schema ?? 'public'
  if (typeof schema !== 'string' || schema.trim() === '' || Buffer.byteLength(schema) > MAX_IDENTIFIER_BYTES) {
    throw new SluiceError({
      code: 'CONFIG_INVALID',
      message: `postgres.schema must be a non-empty name of at most ${MAX_IDENTIFIER_BYTES} bytes, got ${JSON.stringify(schema)}`,
      context: { option: 'postgres.schema' },
    })
  }
  let handle: PoolHandle | undefined
  let client: pg.PoolClient | undefined
  let run: PostgresRun | undefined

  const pool = (): PoolHandle => (handle ??= poolFor(options.connection, 2))
  const endPool = async () => {
    if (handle?.owned) {
      const h = handle
      handle = undefined
      await h.pool.end()
    }
  }
  /** A client for a one-off read outside a sync; the pool sluice owns is ended afterwards so nothing keeps the process alive. */
  const outside = async <T>(work: (c: pg.PoolClient) => Promise<T>): Promise<T> => {
    const c = await connectClient(pool(), 'DESTINATION_UNAVAILABLE', 'postgres sink')
    let failed: unknown
    try {
      return await work(c)
    } catch (e) {
      failed = e
      throw e
    } finally {
      c.release(failed instanceof Error ? failed : undefined)
      if (!run) await endPool()
    }
  }
  const layouts = async (c: pg.PoolClient): Promise<TableLayout[]> => ((await hasMeta(c, schema)) ? [...(await loadLayouts(c, schema)).values()] : [])
  let prepared = false
  const access: PostgresAccess = {
    schema,
    run: () => requireRun(run).transaction(),
    use: (create, work) =>
      outside(async (c) => {
        if (create && !prepared) {
          await prepareSchema(c, schema)
          prepared = true
        }
        return work(c)
      }),
  }

  return {
    name: 'postgres',
    // MAR metering and connector operations (history, leases, pause flags): postgres-stores.ts.
    ...postgresStores(access),
    async open({ connectorId, syncId, tables }) {
      client = await connectClient(pool(), 'DESTINATION_UNAVAILABLE', 'postgres sink')
      try {
        await prepareSchema(client, schema)
        prepared = true
        const started = await PostgresRun.start(client, schema, { connectorId, syncId, tables })
        run = started.run
        return started.state === undefined ? {} : { state: parseState(started.state, `_sluice_state of ${connectorId} in schema ${schema}`) }
      } catch (cause) {
        client.release(true)
        client = undefined
        await endPool()
        throw cause instanceof SluiceError ? cause : pgError('DESTINATION_UNAVAILABLE', `postgres sink: preparing schema ${schema} failed`, cause, { schema })
      }
    },
    async write({ message }) {
      return requireRun(run).write(message)
    },
    async checkpoint({ state }) {
      await requireRun(run).checkpoint(serializeState(state))
    },
    async recordErrors({ errors }) {
      await requireRun(run).recordErrors(errors)
    },
    async close({ status, report }) {
      const current = requireRun(run)
      let broken: Error | undefined
      try {
        await current.close(status === 'succeeded', report)
        // Everything is committed by now: a failed cleanup only costs the connection (destroyed below), not the sync.
        await current.dropStaging().catch((e: unknown) => (broken = e instanceof Error ? e : new Error(String(e))))
      } catch (cause) {
        broken = cause instanceof Error ? cause : new Error(String(cause))
        throw cause
      } finally {
        run = undefined
        // A client whose transaction state is unknown is destroyed rather than returned to the pool.
        client?.release(broken)
        client = undefined
        await endPool()
      }
    },
    async read({ table }) {
      return outside(async (c) => {
        const layout = (await layouts(c)).find((l) => l.table === table)
        return layout ? readTable(c, schema, layout) : []
      })
    },
    async describe(): Promise<TableDescription[]> {
      return outside(async (c) =>
        (await layouts(c)).map((l) => ({ table: l.table, name: l.name, primaryKey: l.primaryKey, mode: l.mode, columns: l.columns })),
      )
    },
    async schemaHistory() {
      return outside(async (c) => ((await hasMeta(c, schema)) ? selectHistory(c, schema) : []))
    },
    async readErrors() {
      return outside(async (c) => ((await hasMeta(c, schema)) ? selectErrors(c, schema) : []))
    },
    async resetState({ connectorId }) {
      await outside(async (c) => {
        if (await hasMeta(c, schema)) await c.query(`DELETE FROM ${quoteIdent(schema)}."_sluice_state" WHERE "connector_id" = $1`, [connectorId])
      })
    },
  }
}

function requireRun(run: PostgresRun | undefined): PostgresRun {
  if (!run) throw new SluiceError({ code: 'DESTINATION_WRITE', message: 'postgres sink used before open() or after close()' })
  return run
}

import { postgresSinkCheck } from './postgres-sink-check.js'
import type pg from 'pg'
import { SluiceError } from '../../core/sluice-error.js'
import type { Sink, TableDescription } from '../../contracts/sink.js'
import { MAX_IDENTIFIER_BYTES, quoteIdent } from '../../core/normalize-name.js'
import type { TableLayout } from '../layout/table-layout.js'
import { checkConnection, connectClient, pgError, poolFor, type PoolHandle, type PostgresConnection } from '../../db/postgres-connection.js'
import { hasMeta, loadLayouts, loadState, prepareSchema, selectErrors, selectHistory } from './postgres-meta.js'
import { parseState } from '../../core/json-state.js'
import { postgresStores, type PostgresAccess } from './postgres-stores.js'
import { readTable } from './postgres-read.js'
import { postgresDriver } from './postgres-driver.js'
import { fencePostgres } from './postgres-fleet.js'
import { checkFenceArgs } from '../../warehouse/fence-row.js'
import { describeLayout, engineWriter } from '../../warehouse/engine-sink.js'
import { knownOptions } from '../../core/check-option.js'

/** Options of {@link postgres}. */
export interface PostgresOptions {
  /** A `postgres://` URL, or a `pg.Pool` you already have (sluice borrows one client per sync and never ends your pool). */
  readonly connection: PostgresConnection
  /** Schema of the destination and meta tables (default `'public'`; created if missing). */
  readonly schema?: string
}

/** How long the pool sluice owns outlives its last borrower (ms). */
const POOL_LINGER_MS = 1000

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

  const pool = (): PoolHandle => {
    clearTimeout(idle)
    return (handle ??= poolFor(options.connection, 2))
  }
  // Borrowers of the pool right now (reads outside a sync, a fence, the sync's session): the pool
  // sluice owns is ended only once none is left, so a read that finishes never ends the pool under
  // another one still waiting for a client (concurrent fleet jobs do that).
  let borrowers = 0
  let idle: NodeJS.Timeout | undefined
  // Ended a moment after the last borrower left rather than at once: a fleet worker's next job (pause
  // check, fence, sync) reuses its connections instead of opening three new ones per partition. The
  // timer and the idle clients (allowExitOnIdle) never keep the process alive.
  const endPool = async () => {
    if (borrowers > 0 || !handle?.owned) return
    clearTimeout(idle)
    idle = setTimeout(() => {
      if (borrowers > 0 || writer.active() || !handle?.owned) return
      const h = handle
      handle = undefined
      void h.pool.end().catch(() => {})
    }, POOL_LINGER_MS)
    idle.unref()
  }
  /** A client for a one-off read outside a sync; the pool sluice owns is ended afterwards so nothing keeps the process alive. */
  const outside = async <T>(work: (c: pg.PoolClient) => Promise<T>): Promise<T> => {
    borrowers++
    let c: pg.PoolClient | undefined
    let failed: unknown
    try {
      c = await connectClient(pool(), 'DESTINATION_UNAVAILABLE', 'postgres sink')
      return await work(c)
    } catch (e) {
      failed = e
      throw e
    } finally {
      c?.release(failed instanceof Error ? failed : undefined)
      borrowers--
      if (!writer.active()) await endPool()
    }
  }
  const layouts = async (c: pg.PoolClient): Promise<TableLayout[]> => ((await hasMeta(c, schema)) ? [...(await loadLayouts(c, schema)).values()] : [])
  let prepared = false
  // The warehouse engine runs the sync on a driver over one borrowed client (src/warehouse/).
  const writer = engineWriter(
    'postgres',
    async () => {
      borrowers++
      let c: pg.PoolClient
      try {
        c = client = await connectClient(pool(), 'DESTINATION_UNAVAILABLE', 'postgres sink')
      } catch (error) {
        borrowers--
        await endPool()
        throw error
      }
      const driver = postgresDriver(c, schema)
      const release = async (failure: unknown) => {
        let broken = failure === undefined ? undefined : failure instanceof Error ? failure : new Error(String(failure))
        // Everything is committed by now: a failed cleanup only costs the connection (destroyed below), not the sync.
        if (!broken) await driver.dropStaging().catch((e: unknown) => (broken = e instanceof Error ? e : new Error(String(e))))
        // A client whose transaction state is unknown is destroyed rather than returned to the pool.
        c.release(broken)
        client = undefined
        borrowers--
        await endPool()
      }
      try {
        // Once per sink object (a fleet worker runs many partitions on one): the schema-wide advisory lock
        // and the meta DDL again only if the meta tables went away meanwhile (a reset, a dropped schema).
        if (!prepared || !(await hasMeta(c, schema))) await prepareSchema(c, schema)
        prepared = true
      } catch (cause) {
        await release(cause)
        throw cause
      }
      return { driver, release }
    },
    ` in schema ${schema}`,
  )
  const access: PostgresAccess = {
    schema,
    run: async () => {
      const run = writer.run()
      await run.joinTransaction()
      return { client: client!, connectorId: run.connectorId }
    },
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
    check: () => postgresSinkCheck(schema, outside),
    // MAR metering and connector operations (history, leases, pause flags): postgres-stores.ts.
    ...postgresStores(access),
    ...writer.methods,
    async open(args) {
      try {
        return await writer.methods.open(args)
      } catch (cause) {
        throw cause instanceof SluiceError ? cause : pgError('DESTINATION_UNAVAILABLE', `postgres sink: preparing schema ${schema} failed`, cause, { schema })
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
        (await layouts(c)).map(describeLayout),
      )
    },
    async schemaHistory() {
      return outside(async (c) => ((await hasMeta(c, schema)) ? selectHistory(c, schema) : []))
    },
    async readErrors() {
      return outside(async (c) => ((await hasMeta(c, schema)) ? selectErrors(c, schema) : []))
    },
    async fence(args) {
      checkFenceArgs('postgres', args)
      // On a client of its own, committed before it resolves: never inside a sync's transaction.
      return outside(async (c) => {
        if (!prepared) {
          await prepareSchema(c, schema)
          prepared = true
        }
        return fencePostgres(c, schema, args)
      })
    },
    async loadState({ connectorId }) {
      return outside(async (c) => {
        if (!(await hasMeta(c, schema))) return undefined
        const { state } = await loadState(c, schema, connectorId)
        return state === undefined ? undefined : parseState(state, `_sluice_state of ${connectorId} in schema ${schema}`)
      })
    },
    async resetState({ connectorId }) {
      await outside(async (c) => {
        if (await hasMeta(c, schema)) await c.query(`DELETE FROM ${quoteIdent(schema)}."_sluice_state" WHERE "connector_id" = $1`, [connectorId])
      })
    },
  }
}

import type Database from 'better-sqlite3'
import { existsSync, statSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import type { Row } from '../../core/batch.js'
import { parseState, serializeState } from '../../core/json-state.js'
import { lazyRequire } from '../../core/lazy-require.js'
import { SluiceError } from '../../core/sluice-error.js'
import { quoteIdent } from '../layout/normalize-name.js'
import type { Sink } from '../sink.js'
import { exactIntegers, registerWiden } from './sqlite-ddl.js'
import { loadLayouts, loadState, META_DDL, selectErrors, selectHistory } from './sqlite-meta.js'
import { sqliteStores } from './sqlite-stores.js'
import { sqliteThread } from './sqlite-thread.js'
import { describeLayout, SqliteRun } from './sqlite-run.js'
import { knownOptions } from '../../retry/check-option.js'

// better-sqlite3 is loaded by the first database opened, not with sluice: ~30 ms of every cold start (README, cold-start).
const betterSqlite3 = lazyRequire<typeof Database>('better-sqlite3')

/** SQLite's page cache per connection, in KiB (an upper bound: pages are allocated as used). */
const CACHE_KIB = 65_536

/** Options of {@link sqlite}. */
export interface SqliteOptions {
  /** The database file, e.g. `files/warehouse.db`. Its directory must exist. */
  readonly path: string
  /** How long to wait for another writer's lock (default 5_000 ms). */
  readonly busyTimeoutMs?: number
  /**
   * Write on a worker thread (default false): the sink returned forwards every call to a worker
   * that owns the database, and records writes return once posted (a few at a time), so the
   * source and stages keep parsing on the main thread while the second core writes. Experimental:
   * it is exact (same conformance suite and SIGKILL proof as the default) but not yet faster —
   * measured slower than the default in `npm run bench` so far (see the README), so leave it off
   * unless your own bench says otherwise. A write that fails there fails the next checkpoint (or
   * `close`), which then saves no state.
   * Not with `':memory:'`, whose database would live and die with the worker.
   *
   * @example
   * ```ts
   * import { fromIterable, sqlite, sync } from 'sluice'
   * const rows = Array.from({ length: 100_000 }, (_, id) => ({ id, name: `user ${id}` }))
   * await sync({ source: fromIterable('users', rows, { primaryKey: ['id'] }), destination: sqlite({ path: 'warehouse.db', thread: true }) })
   * ```
   */
  readonly thread?: boolean
}

/**
 * The embedded default warehouse: a SQLite file (better-sqlite3, WAL, `synchronous=NORMAL`,
 * prepared statements reused). Data and state commit in one transaction at each checkpoint,
 * so a crash at any instant resumes from a state that matches the data exactly.
 *
 * @example
 * ```ts
 * import { fromIterable, sqlite, sync } from 'sluice'
 * await sync({ source: fromIterable('users', [{ id: 1 }], { primaryKey: ['id'] }), destination: sqlite({ path: 'warehouse.db' }) })
 * ```
 */
export function sqlite(options: SqliteOptions): Sink {
  knownOptions(options, { path: true, busyTimeoutMs: true, thread: true }, 'sqlite')
  if (typeof options?.path !== 'string' || options.path.trim() === '') {
    throw new SluiceError({ code: 'CONFIG_INVALID', message: 'sqlite({ path }) needs a file path such as "files/warehouse.db"' })
  }
  if (options.thread !== undefined && typeof options.thread !== 'boolean') {
    throw new SluiceError({ code: 'CONFIG_INVALID', message: `sqlite({ thread }) must be true or false, got ${JSON.stringify(options.thread)}` })
  }
  if (options.thread && options.path === ':memory:') {
    throw new SluiceError({ code: 'CONFIG_INVALID', message: "sqlite({ thread: true }) needs a file path: a ':memory:' database would live and die with the worker thread" })
  }
  const path = options.path === ':memory:' ? ':memory:' : resolve(options.path)
  if (options.thread) return sqliteThread({ path, ...(options.busyTimeoutMs === undefined ? {} : { busyTimeoutMs: options.busyTimeoutMs }) })
  const busyTimeoutMs = options.busyTimeoutMs ?? 5_000
  let db: Database.Database | undefined
  let run: SqliteRun | undefined

  const connect = (readonly: boolean): Database.Database => {
    if (db) return db
    if (path !== ':memory:') checkDirectory(path)
    try {
      const handle = new (betterSqlite3())(path, readonly ? { readonly: true, fileMustExist: true } : {})
      if (!readonly) {
        handle.pragma('journal_mode = WAL')
        handle.pragma('synchronous = NORMAL')
        handle.pragma(`busy_timeout = ${busyTimeoutMs}`)
        // 64 MiB, not SQLite's 2 MB: a keyless table's `_sluice_id` index takes random inserts, and with
        // 2 MB each one re-read a page (1M keyless rows: 12.8 KB read and 8.4 KB written per row, 5.9 KB and 3.2 KB with this).
        handle.pragma(`cache_size = ${-CACHE_KIB}`)
        handle.exec(META_DDL)
        registerWiden(handle)
      }
      return handle
    } catch (cause) {
      throw unavailable(path, cause)
    }
  }
  const release = () => {
    if (db && path !== ':memory:') {
      db.close()
      db = undefined
    }
  }

  return {
    name: 'sqlite',
    // MAR metering and connector operations (sqlite-stores.ts); `run` joins the sync's transaction.
    ...sqliteStores({
      run: () => requireRun(run).transaction(),
      use: async (mode, fn, missing) => {
        if (db) return fn(db)
        if (path === ':memory:') return fn((db = connect(false)))
        if (mode === 'read' && !existsSync(path)) return missing()
        const handle = connect(mode === 'read')
        try {
          return await fn(handle)
        } finally {
          handle.close()
        }
      },
    }),
    async open({ connectorId, syncId, tables }) {
      db = connect(false)
      run = new SqliteRun(db, connectorId, syncId, tables)
      const saved = loadState(db, connectorId).state
      return saved === undefined ? {} : { state: parseState(saved, `_sluice_state of ${connectorId}`) }
    },
    async write({ message }) {
      return requireRun(run).write(message)
    },
    async checkpoint({ state }) {
      requireRun(run).checkpoint(serializeState(state))
    },
    async recordErrors({ errors }) {
      requireRun(run).recordErrors(errors)
    },
    async readErrors() {
      const handle = db ?? connect(true)
      try {
        return selectErrors(handle)
      } finally {
        if (handle !== db && path !== ':memory:') handle.close()
      }
    },
    async close({ status, report }) {
      try {
        requireRun(run).close(status === 'succeeded', report)
      } finally {
        run = undefined
        release()
      }
    },
    async read({ table }) {
      const own = db === undefined
      const handle = own ? connect(true) : db!
      try {
        const layout = [...loadLayouts(handle).values()].find((l) => l.table === table)
        if (!layout) return []
        const rows = handle.prepare(`SELECT * FROM ${quoteIdent(layout.name)} ORDER BY rowid`).safeIntegers(true).all() as Row[]
        return rows.map(exactIntegers)
      } finally {
        if (own && path !== ':memory:') handle.close()
        else if (own) db = handle
      }
    },
    async describe() {
      const handle = db ?? connect(true)
      try {
        return [...loadLayouts(handle).values()].map(describeLayout)
      } finally {
        if (handle !== db && path !== ':memory:') handle.close()
      }
    },
    async schemaHistory() {
      const handle = db ?? connect(true)
      try {
        return selectHistory(handle)
      } finally {
        if (handle !== db && path !== ':memory:') handle.close()
      }
    },
    async resetState({ connectorId }) {
      const handle = db ?? connect(false)
      try {
        handle.prepare('DELETE FROM "_sluice_state" WHERE "connector_id" = ?').run(connectorId)
      } finally {
        if (handle !== db) handle.close()
      }
    },
  }
}

function requireRun(run: SqliteRun | undefined): SqliteRun {
  if (!run) throw new SluiceError({ code: 'DESTINATION_WRITE', message: 'sqlite sink used before open() or after close()' })
  return run
}

function checkDirectory(path: string): void {
  const dir = dirname(path)
  if (!existsSync(dir)) {
    throw new SluiceError({
      code: 'DESTINATION_UNAVAILABLE',
      message: `sqlite: directory ${dir} does not exist; create it first or choose another path`,
      context: { path },
    })
  }
  if (!statSync(dir).isDirectory()) {
    throw new SluiceError({ code: 'DESTINATION_UNAVAILABLE', message: `sqlite: ${dir} is not a directory`, context: { path } })
  }
}

function unavailable(path: string, cause: unknown): SluiceError {
  const text = (cause as Error).message
  const hint = /readonly|read-only|EACCES|permission|unable to open/i.test(text) ? ' (is the file or its directory read-only?)' : ''
  return new SluiceError({
    code: 'DESTINATION_UNAVAILABLE',
    message: `sqlite: can't open ${path} for writing: ${text}${hint}`,
    cause,
    context: { path },
  })
}

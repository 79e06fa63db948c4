import { writableCheck } from '../writable-check.js'
import type Database from 'better-sqlite3'
import { existsSync, statSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import type { Row } from '../../core/batch.js'
import { lazyRequire } from '../../core/lazy-require.js'
import { SluiceError } from '../../core/sluice-error.js'
import { quoteIdent } from '../../core/normalize-name.js'
import type { Sink } from '../../contracts/sink.js'
import type { SqliteOptions } from './sqlite-options.js'
import { exactIntegers, registerWiden } from './sqlite-ddl.js'
import { loadLayouts, loadState, META_DDL, migrateMeta, selectErrors, selectHistory } from './sqlite-meta.js'
import { parseState } from '../../core/json-state.js'
import { fenceSqlite } from './sqlite-fleet.js'
import { checkFenceArgs } from '../../warehouse/fence-row.js'
import { ensureOpsTables, sqliteStores } from './sqlite-stores.js'
import { sqliteThread } from './sqlite-thread.js'
import { sqliteDriver } from './sqlite-driver.js'
import { describeLayout, engineWriter } from '../../warehouse/engine-sink.js'
import { knownOptions } from '../../core/check-option.js'

// better-sqlite3 is loaded by the first database opened, not with sluice: ~30 ms of every cold start (README, cold-start).
const betterSqlite3 = lazyRequire<typeof Database>('better-sqlite3')

/** SQLite's page cache per connection, in KiB (an upper bound: pages are allocated as used). */
const CACHE_KIB = 65_536

// In its own file so that sqlite-thread.ts, which this file imports, can take it too.
export type { SqliteOptions } from './sqlite-options.js'

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

  const connect = (readonly: boolean): Database.Database => db ?? openHandle(readonly)
  const openHandle = (readonly: boolean): Database.Database => {
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
        migrateMeta(handle)
        // Outside any transaction, so it is remembered: MAR metering inside a sync then skips the DDL (it ran per meter call).
        ensureOpsTables(handle)
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

  // The warehouse engine runs the sync on a driver over the sync's connection (src/warehouse/).
  const writer = engineWriter('sqlite', async () => {
    db = connect(false)
    return { driver: sqliteDriver(db), release }
  })

  return {
    name: 'sqlite',
    ...writer.methods,
    check: async () => (path === ':memory:' ? [{ name: 'sqlite: file', ok: true, message: 'an in-memory database is always writable' }] : writableCheck({ name: 'sqlite: file', path, kind: 'file' })),
    // MAR metering and connector operations (sqlite-stores.ts); `run` joins the sync's transaction.
    ...sqliteStores({
      run: () => {
        const run = writer.run()
        // SQLite begins synchronously: the transaction is open when this returns.
        void run.joinTransaction()
        return { db: db!, connectorId: run.connectorId }
      },
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
    async readErrors() {
      // A warehouse no sync has written yet holds no errors (as the stores' readers answer), not a failure to open.
      if (!db && path !== ':memory:' && !existsSync(path)) return []
      const handle = db ?? connect(true)
      try {
        return selectErrors(handle)
      } finally {
        if (handle !== db && path !== ':memory:') handle.close()
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
      if (!db && path !== ':memory:' && !existsSync(path)) return []
      const handle = db ?? connect(true)
      try {
        return selectHistory(handle)
      } finally {
        if (handle !== db && path !== ':memory:') handle.close()
      }
    },
    async fence(args) {
      checkFenceArgs('sqlite', args)
      if (db?.inTransaction) {
        // Its own sync holds the write lock: a fence would wait for itself (past the busy timeout).
        throw new SluiceError({
          code: 'DESTINATION_WRITE',
          message: `sqlite: can't fence connector ${args.connectorId} while this sink's own sync is inside a transaction; fence before the sync or from another sink`,
          context: { connectorId: args.connectorId, path },
        })
      }
      // A handle of its own (committed before it resolves), except for ':memory:', which lives in the one handle.
      const handle = path === ':memory:' ? connect(false) : openHandle(false)
      if (path === ':memory:') db = handle
      try {
        return fenceSqlite(handle, args)
      } finally {
        if (handle !== db) handle.close()
      }
    },
    async loadState({ connectorId }) {
      if (path !== ':memory:' && !db && !existsSync(path)) return undefined
      const own = db === undefined
      const handle = own ? connect(true) : db!
      try {
        if (!handle.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_sluice_state'`).get()) return undefined
        const { state } = loadState(handle, connectorId)
        return state === undefined ? undefined : parseState(state, `_sluice_state of ${connectorId} in ${path}`)
      } finally {
        if (own && path !== ':memory:') handle.close()
        else if (own) db = handle
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

import { loadOptional } from '../../../core/load-optional.js'
import { SluiceError } from '../../../core/sluice-error.js'
import type { BinlogPosition } from './binlog-server.js'

/** What the reader gets from the binlog, already split at transaction boundaries. */
export type BinlogChange =
  /** Row images of one table: `write` (after), `update` (after images), `delete` (before images). */
  | {
      readonly kind: 'rows'
      readonly op: 'write' | 'update' | 'delete'
      readonly database: string
      readonly table: string
      /** The table's columns as the event was written (names and types from its table map). */
      readonly columns: readonly BinlogColumn[]
      readonly rows: readonly Readonly<Record<string, unknown>>[]
      /** For `update`: the before images, in the same order (a key may change). */
      readonly before?: readonly Readonly<Record<string, unknown>>[]
    }
  /** A statement logged as text (DDL, TRUNCATE); `database` is the session's current database. */
  | { readonly kind: 'statement'; readonly sql: string; readonly database: string }
  /** A transaction boundary (commit, a standalone statement, a file rotation): a position safe to resume from. */
  | { readonly kind: 'boundary'; readonly position: BinlogPosition }

/** A column as a table map describes it (zongji's `ColumnSchema`: `COLUMN_TYPE` like information_schema's). */
export interface BinlogColumn {
  readonly COLUMN_NAME: string
  readonly COLUMN_TYPE: string
  readonly UNSIGNED?: boolean
}

/** How to open the binlog connection. */
export interface BinlogStreamOptions {
  readonly connection: Readonly<Record<string, unknown>>
  readonly serverId: number
  readonly from: BinlogPosition
  /** Database → tables whose row events to decode; others are skipped unread. */
  readonly tables: Readonly<Record<string, readonly string[]>>
  /** The server sends a heartbeat when idle this long (default 10 s); silence for 3× this fails the stream (a dead connection). */
  readonly heartbeatMs?: number
}

/** An open binlog stream: changes in order, with backpressure; `close()` ends both connections. */
export interface BinlogStream {
  /** The next change, or `undefined` when none came within `waitMs` (or the stream was closed). Throws what the stream failed with. */
  next(waitMs: number): Promise<BinlogChange | undefined>
  close(): Promise<void>
}

type ZongJiEvent = Record<string, unknown> & { getEventName(): string; nextPosition: number }
interface ZongJiLike {
  on(event: 'binlog', f: (e: ZongJiEvent) => void): void
  on(event: 'error', f: (e: unknown) => void): void
  on(event: 'ready' | 'stopped', f: () => void): void
  start(options: Record<string, unknown>): void
  stop(): void
  connection: { stream?: { pause(): void; resume(): void } } | null
}

const HIGH_WATER = 2_000

/**
 * Opens a binlog dump from `from` through `@vlasky/zongji` and turns its events into
 * {@link BinlogChange}s: row events as row images (decoded with the connection's exact options:
 * dates as text in UTC, big integers and decimals as text, JSON as text), DDL and TRUNCATE as
 * statements, and a boundary after every commit. Backpressure pauses the socket (never the
 * driver's own pause, which zongji uses while it looks up a table's columns).
 */
export async function openBinlogStream(options: BinlogStreamOptions): Promise<BinlogStream> {
  const mod = await loadOptional<{ default: new (dsn: unknown) => ZongJiLike }>('@vlasky/zongji', 'mysqlSource({ replication })', () => import('@vlasky/zongji'))
  const z = new mod.default({ ...options.connection, dateStrings: true, jsonStrings: true, supportBigNumbers: true, bigNumberStrings: true, timezone: 'Z' })
  const queue: BinlogChange[] = []
  let failure: unknown
  let wake: (() => void) | undefined
  let paused = false
  let file = options.from.file
  let inTransaction = false
  let afterBegin = false
  const notify = () => {
    const w = wake
    wake = undefined
    w?.()
  }
  const push = (change: BinlogChange) => {
    queue.push(change)
    if (queue.length >= HIGH_WATER && !paused && z.connection?.stream) {
      paused = true
      z.connection.stream.pause()
    }
    notify()
  }
  const boundary = (pos: number) => {
    inTransaction = false
    afterBegin = false
    if (pos > 0) push({ kind: 'boundary', position: { file, pos } })
  }
  z.on('error', (e) => {
    failure ??= e
    notify()
  })
  const heartbeatMs = options.heartbeatMs ?? 10_000
  let heard = Date.now()
  z.on('binlog', (e) => {
    heard = Date.now()
    switch (e.getEventName()) {
      case 'heartbeat':
        // Only a sign of life: its position is not taken as a boundary.
        return
      case 'rotate':
        file = String(e.binlogName)
        if (!inTransaction) push({ kind: 'boundary', position: { file, pos: Number(e.position) } })
        return
      case 'gtid':
      case 'anonymousgtid':
        inTransaction = true
        return
      case 'mariadbgtid':
        // A standalone GTID precedes one DDL statement; otherwise a transaction follows (no BEGIN is sent).
        inTransaction = true
        afterBegin = e.standalone !== true
        return
      case 'xid':
        return boundary(e.nextPosition)
      case 'query': {
        const sql = String(e.query ?? '').trim()
        const word = /^\w+/.exec(sql)?.[0]?.toUpperCase()
        if (word === 'BEGIN' || (word === 'XA' && /^XA\s+START/i.test(sql))) {
          inTransaction = true
          afterBegin = true
          return
        }
        if (word === 'COMMIT' || word === 'ROLLBACK' || (word === 'XA' && /^XA\s+(COMMIT|ROLLBACK)/i.test(sql))) return boundary(e.nextPosition)
        push({ kind: 'statement', sql, database: String(e.schema ?? '') })
        // A statement outside BEGIN … COMMIT (DDL, TRUNCATE) is its own transaction.
        if (!afterBegin) boundary(e.nextPosition)
        return
      }
      case 'writerows':
      case 'updaterows':
      case 'deleterows': {
        const map = (e.tableMap as Record<string, { parentSchema: string; tableName: string; columnSchemas: BinlogColumn[] }>)[String(e.tableId)]
        if (!map) return
        const op = e.getEventName() === 'writerows' ? 'write' : e.getEventName() === 'updaterows' ? 'update' : 'delete'
        const images = e.rows as Record<string, unknown>[]
        const rows = op === 'update' ? images.map((r) => r.after as Record<string, unknown>) : images
        const before = op === 'update' ? images.map((r) => r.before as Record<string, unknown>) : undefined
        push({ kind: 'rows', op, database: map.parentSchema, table: map.tableName, columns: map.columnSchemas, rows, ...(before ? { before } : {}) })
        return
      }
      case 'tablemap':
        return
      default:
        // Outside a transaction every event end is a place to resume from (binlog checkpoints, GTID lists, the
        // format event of a new file …): a bounded read can stop there even when no transaction follows.
        if (!inTransaction) boundary(e.nextPosition)
        return
    }
  })
  const ready = new Promise<void>((resolve, reject) => {
    z.on('ready', () => {
      // Emitted just before zongji queues the dump command on the binlog connection: this runs first. Nanoseconds.
      ;(z.connection as unknown as { query(sql: string, cb: (e: unknown) => void): void } | null)?.query(`SET @master_heartbeat_period = ${heartbeatMs * 1_000_000}`, (e) => {
        if (e) failure ??= e
      })
      heard = Date.now()
      resolve()
    })
    z.on('error', reject)
  })
  z.start({
    serverId: options.serverId,
    filename: options.from.file,
    position: options.from.pos,
    includeSchema: Object.fromEntries(Object.entries(options.tables).map(([db, t]) => [db, [...t]])),
  })
  let closed = false
  const close = async () => {
    if (closed) return
    closed = true
    notify()
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 2_000)
      z.on('stopped', () => {
        clearTimeout(timer)
        resolve()
      })
      z.stop()
    })
  }
  try {
    await ready
  } catch (e) {
    await close()
    throw e
  }
  return {
    close,
    async next(waitMs) {
      if (queue.length === 0 && failure === undefined && !closed && waitMs > 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, waitMs)
          wake = () => {
            clearTimeout(timer)
            resolve()
          }
        })
      }
      if (queue.length > 0) {
        const change = queue.shift()!
        if (paused && queue.length < HIGH_WATER / 4) {
          paused = false
          heard = Date.now() // the silence was ours
          z.connection?.stream?.resume()
        }
        return change
      }
      if (failure !== undefined) throw failure
      if (Date.now() - heard > 3 * heartbeatMs) {
        throw new SluiceError({
          code: 'SOURCE_FAILED',
          message: `mysqlSource.replication: no event and no heartbeat from the server for ${Math.round((Date.now() - heard) / 1000)} s; the binlog connection is taken as lost`,
          retryable: true,
        })
      }
      return undefined
    },
  }
}

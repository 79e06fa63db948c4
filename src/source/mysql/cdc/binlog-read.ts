import type mysql from 'mysql2/promise'
import type { Json, Message, State } from '../../../core/message.js'
import { SluiceError } from '../../../core/sluice-error.js'
import { op } from '../../op.js'
import { readKeyset } from '../../sql/keyset-reader.js'
import type { MysqlTable } from '../mysql-catalog.js'
import { mysqlError } from '../mysql-connection.js'
import { mysqlPageReader } from '../mysql-pages.js'
import type { BinlogPlan } from './binlog-options.js'
import { binlogFiles, checkBinlogFilters, comparePositions, isPrivilegeError, positionText, privilegeError, serverPosition, type BinlogPosition, type BinlogServer } from './binlog-server.js'
import { binlogState, loadBinlogState, type BinlogState } from './binlog-state.js'
import { openBinlogStream, type BinlogStream } from './binlog-stream.js'
import { ChangeBuffer } from './change-buffer.js'
import { EventLayouts } from './event-layout.js'

/** What one binlog read needs. */
export interface BinlogReadContext {
  readonly conn: mysql.PoolConnection
  readonly database: string
  readonly tables: readonly MysqlTable[]
  /** The table's columns re-read from `information_schema` (after DDL); undefined when it is gone. */
  readonly rediscover: (table: string) => Promise<MysqlTable | undefined>
  /** Whether a column is read (the table's `columns` option and the sync's selection): for columns only the binlog still has. */
  readonly includes: (table: string, column: string) => boolean
  readonly batchSize: number
  readonly plan: BinlogPlan
  readonly server: BinlogServer
  readonly serverId: number
  /** Connection options for the binlog connection (zongji). */
  readonly connection: Readonly<Record<string, unknown>>
  readonly signal: AbortSignal
  readonly onBroken: (e: unknown) => void
  /** Called once a checkpoint is committed in the destination. */
  readonly committed: (state: BinlogState) => void
}

/**
 * Snapshot then stream. A first sync reads the server's binlog position, then copies every table
 * by keyset in pages (a checkpoint per page, carrying that position); then it streams the binlog
 * from the position: every change after it is replayed in order as whole-row upserts and soft
 * deletes, so rows the copy read at any later moment converge, and nothing committed after the
 * position is missed. A crash mid-copy continues the keyset and still streams from the first
 * position. Checkpoints fall only on transaction boundaries.
 */
export async function* readBinlog(ctx: BinlogReadContext, saved: State | undefined): AsyncGenerator<Message> {
  const { conn, server } = ctx
  let state = loadBinlogState(saved)
  await checkBinlogFilters(conn, ctx.database)
  let resnapshot = false
  if (state !== undefined && !(await binlogFiles(conn, server)).includes(state.file)) {
    if (ctx.plan.onPositionLost !== 'resnapshot') throw positionLost(state)
    state = undefined
    resnapshot = true
  }
  if (state !== undefined) ctx.committed(state)
  else state = { phase: 'snapshot', ...(await serverPosition(conn, server)) }
  if (resnapshot) for (const t of ctx.tables) yield op.truncate(t.table)

  if (state.phase === 'snapshot') {
    const start: BinlogPosition = { file: state.file, pos: state.pos }
    await conn.query(`SET @sluice_time_zone = @@session.time_zone, time_zone = '+00:00'`)
    try {
      const copy = readKeyset(ctx.tables, state.tables ? { tables: state.tables } : undefined, mysqlPageReader(conn, ctx.batchSize, ctx.onBroken), ctx.signal)
      for await (const message of copy) {
        if (message.kind !== 'checkpoint') {
          yield message
          continue
        }
        const tables = message.state.tables as Record<string, Json>
        // readKeyset's last checkpoint clears the round: every table is copied.
        const done = Object.keys(tables).length === 0
        state = done ? { phase: 'stream', ...start } : { phase: 'snapshot', ...start, tables }
        yield op.checkpoint(binlogState(state))
        ctx.committed(state)
      }
    } finally {
      await conn.query('SET time_zone = @sluice_time_zone').catch(ctx.onBroken)
    }
    if (state.phase === 'snapshot' || ctx.signal.aborted) return
  }
  yield* stream(ctx, { file: state.file, pos: state.pos })
}

function positionLost(state: BinlogState): SluiceError {
  return new SluiceError({
    code: 'REPLICATION_POSITION_LOST',
    message:
      `mysqlSource.replication: the binlog file ${state.file} holding the saved position ${positionText(state)} was purged by the server, so changes since then can't be read. ` +
      "Set replication: { onPositionLost: 'resnapshot' } to copy the tables again, or reset the connector; keep binlogs longer (binlog_expire_logs_seconds) than the longest pause between syncs",
    context: { position: positionText(state), phase: state.phase },
  })
}

const STATEMENT_TABLE = /^(?:TRUNCATE(?:\s+TABLE)?|(?:ALTER|CREATE|DROP|RENAME)\s+(?:ONLINE\s+|IGNORE\s+|TEMPORARY\s+|OR\s+REPLACE\s+)*TABLE)\b/i

async function* stream(ctx: BinlogReadContext, from: BinlogPosition): AsyncGenerator<Message> {
  const { plan, signal } = ctx
  const target = plan.continuous ? undefined : await serverPosition(ctx.conn, ctx.server)
  if (target && comparePositions(from, target) >= 0) return
  const tables = new Map(ctx.tables.map((t) => [t.table, t]))
  let binlog: BinlogStream
  try {
    binlog = await openBinlogStream({ connection: ctx.connection, serverId: ctx.serverId, from, tables: { [ctx.database]: [...tables.keys()] } })
  } catch (cause) {
    throw streamError(ctx, cause, from)
  }
  const buffer = new ChangeBuffer(ctx.server.mariadb)
  const spill = Math.max(50_000, plan.checkpointRows * 5)
  const layouts = new EventLayouts(ctx.includes)
  let position = from
  let saved = from
  let lastCheckpoint = Date.now()
  const checkpoint = function* (): Generator<Message> {
    yield* buffer.flush()
    yield op.checkpoint(binlogState({ phase: 'stream', ...position }))
    saved = position
    lastCheckpoint = Date.now()
  }
  try {
    for (;;) {
      if (signal.aborted) return
      const wait = Math.max(1, Math.min(250, plan.checkpointMs - (Date.now() - lastCheckpoint)))
      let change
      try {
        change = await binlog.next(wait)
      } catch (cause) {
        throw streamError(ctx, cause, position)
      }
      if (change === undefined) {
        // Idle too: a checkpoint every checkpointEvery.ms is where a requested stop (deadline, stop()) ends the sync.
        if (Date.now() - lastCheckpoint >= plan.checkpointMs) {
          yield* checkpoint()
          ctx.committed({ phase: 'stream', ...saved })
        }
        continue
      }
      switch (change.kind) {
        case 'rows': {
          const base = change.database === ctx.database ? tables.get(change.table) : undefined
          if (!base) break
          const { table, changed } = layouts.layout(base, change.columns)
          if (changed) {
            // Another set of columns from here on: what came before goes out first (inside the open destination transaction).
            buffer.commit()
            yield* buffer.flush()
          }
          buffer.add(table, change.op, change.rows, change.before)
          if (buffer.pendingRows + buffer.rows >= spill) {
            // A transaction too big to hold: its rows go out now, in the destination's open transaction, which commits
            // only with the checkpoint at its end (a sync stopped in between replays it whole from the last position).
            buffer.commit()
            yield* buffer.flush()
          }
          break
        }
        case 'statement': {
          const m = STATEMENT_TABLE.exec(change.sql.replace(/^(\s*\/\*.*?\*\/)+\s*/s, ''))
          if (!m) break
          const named = [...tables.keys()].filter((t) => mentions(change.sql, change.database, ctx.database, t))
          if (named.length === 0) break
          buffer.commit()
          yield* buffer.flush()
          if (/\b(?:TRUNCATE|DROP|EXCHANGE|REMOVE)\s+PARTITION/i.test(change.sql)) {
            // Rows removed or swapped in without a row event: the binlog can't say which.
            throw new SluiceError({
              code: 'SOURCE_FAILED',
              message: `mysqlSource.replication: \`${change.sql.slice(0, 120)}\` changed the rows of ${named.join(', ')} without logging them, so the stream can't follow; reset the connector to copy the tables again`,
              context: { tables: named, position: positionText(position) },
            })
          }
          if (/^TRUNCATE/i.test(m[0])) {
            // It happened at the source: applied with the next checkpoint, whatever the sync's outcome (a continuous sync ends 'stopped').
            for (const t of named) yield op.truncate(t, { when: 'checkpoint' })
          } else {
            for (const t of named) {
              const fresh = await ctx.rediscover(t)
              if (fresh) tables.set(t, fresh)
            }
          }
          break
        }
        case 'boundary': {
          buffer.commit()
          position = change.position
          const reached = target !== undefined && comparePositions(position, target) >= 0
          if (reached || buffer.rows >= plan.checkpointRows || Date.now() - lastCheckpoint >= plan.checkpointMs) {
            yield* checkpoint()
            ctx.committed({ phase: 'stream', ...saved })
          }
          if (reached) return
          break
        }
      }
    }
  } finally {
    buffer.rollback()
    await binlog.close()
  }
}

/** Whether a statement names `table` of `database` (qualified, or unqualified in that session database). */
function mentions(sql: string, session: string, database: string, table: string): boolean {
  const id = (s: string) => `(?:\`${s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/`/g, '``')}\`|${s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b)`
  const qualified = new RegExp(`${id(database)}\\s*\\.\\s*${id(table)}`, 'i')
  if (qualified.test(sql)) return true
  if (session !== database) return false
  return new RegExp(`(?<![.\\w\`])${id(table)}(?!\\s*\\.)`).test(sql)
}

function streamError(ctx: BinlogReadContext, cause: unknown, at: BinlogPosition): SluiceError {
  if (cause instanceof SluiceError) return cause
  const errno = Number((cause as { errno?: unknown } | null)?.errno)
  if (isPrivilegeError(cause)) return privilegeError(ctx.server, 'read the binlog (REPLICATION SLAVE)', cause)
  // ER_MASTER_FATAL_ERROR_READING_BINLOG: the file was purged under us, or the position is not an event start.
  if (errno === 1236 && ctx.plan.onPositionLost === 'fail' && /could not find|purged|first log/i.test(String((cause as Error).message))) {
    return positionLost({ phase: 'stream', ...at })
  }
  return mysqlError('SOURCE_FAILED', `mysqlSource.replication: reading the binlog at ${positionText(at)} failed`, cause, { position: positionText(at) })
}

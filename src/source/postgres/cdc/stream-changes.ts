import type { Message, State } from '../../../core/message.js'
import { SluiceError } from '../../../core/sluice-error.js'
import { op } from '../../op.js'
import { ChangeWindow, type TableShape } from './change-window.js'
import { decodePgOutput, type RelationMessage } from './pgoutput-decoder.js'
import type { RelationTypes } from './relation-types.js'
import type { ReplicationFrame, ReplicationStream } from './replication-connection.js'

/** What the stream reads and how it checkpoints. */
export interface StreamArgs {
  readonly stream: ReplicationStream
  readonly types: RelationTypes
  readonly schema: string
  /** The configured tables by name: key column names, and which columns are written. */
  readonly tables: ReadonlyMap<string, { readonly key: readonly string[]; readonly wants: (column: string) => boolean }>
  /** Where the stream starts: every transaction whose commit record lies before it is in the destination already. */
  readonly from: bigint
  /** Bounded runs: stop at the first commit boundary at or after this server position. */
  readonly target: bigint | undefined
  readonly checkpointRows: number
  /** Keys pending over all tables past which the windows go out as records mid-transaction (bounded memory; no checkpoint). */
  readonly flushRows: number
  readonly checkpointMs: number
  readonly signal: AbortSignal
  /** The checkpoint state for a position. */
  readonly state: (lsn: bigint) => State
  /** Called with each position confirmed to the server. */
  readonly confirmed: (lsn: bigint) => void
}

const TICK = Symbol('tick')
const STOP = Symbol('stop')

/**
 * Streams decoded changes as batches: per table, coalesced by key within a checkpoint window,
 * checkpointed only at a commit boundary once the window reaches `checkpointRows` changes or
 * `checkpointMs`, and acknowledged to the server (standby status update) only after the
 * checkpoint committed — the code after `yield op.checkpoint` runs then, as the source is not
 * read-ahead. With no transaction open and nothing uncommitted, a keepalive's position is
 * confirmed too, so an idle database does not pile up WAL behind the slot.
 */
export async function* streamChanges(a: StreamArgs): AsyncGenerator<Message> {
  const { stream, types } = a
  const windows = new Map<number, ChangeWindow>()
  let inTx = false
  let skip = false
  let changes = 0
  let held = 0
  let windowStart = Date.now()
  let lastCommit = a.from
  let acked = a.from
  let checkpointed = a.from
  let pending: Promise<ReplicationFrame | undefined> | undefined
  const idleMs = a.target !== undefined ? 100 : Math.min(a.checkpointMs, 1000)

  const confirm = (lsn: bigint, replyRequested: boolean) => {
    if (lsn > acked) acked = lsn
    stream.ack(acked, replyRequested)
    a.confirmed(acked)
  }
  async function* checkpoint(lsn: bigint): AsyncGenerator<Message> {
    for (const w of windows.values()) if (w.size > 0) yield* await w.flush(types)
    held = 0
    yield op.checkpoint(a.state(lsn))
    // Committed in the destination by now: the server may release the WAL before it.
    checkpointed = lsn
    confirm(lsn, false)
    changes = 0
    windowStart = Date.now()
  }
  async function* relation(m: RelationMessage): AsyncGenerator<Message> {
    const table = m.schema === a.schema ? a.tables.get(m.table) : undefined
    if (!table) return
    const columns = await types.map(m.columns)
    const key = table.key.map((name) => {
      const i = m.columns.findIndex((c) => c.name === name)
      if (i < 0) throw new SluiceError({ code: 'SOURCE_FAILED', message: `postgres replication: table ${JSON.stringify(m.table)} no longer has key column ${JSON.stringify(name)}`, context: { table: m.table } })
      return i
    })
    const shape: TableShape = { table: m.table, columns, output: columns.flatMap((c, i) => (table.wants(c.name) ? [i] : [])), key }
    const before = windows.get(m.relid)
    if (before && sameShape(before.shape, shape)) return
    // New columns or types: what was collected under the old shape goes out first.
    if (before && before.size > 0) yield* await before.flush(types)
    windows.set(m.relid, new ChangeWindow(shape))
  }

  if (a.target !== undefined) stream.ack(acked, true)
  for (;;) {
    // Frames already received are taken at once; only an empty buffer waits (with the idle timer and the signal).
    const ready = pending || a.signal.aborted ? null : stream.poll()
    const got = ready !== null ? { value: ready } : await race((pending ??= stream.next()), idleMs, a.signal)
    if (got === STOP) return
    if (got === TICK) {
      if (!inTx && Date.now() - windowStart >= a.checkpointMs) {
        if (changes > 0) yield* checkpoint(lastCommit)
        // Idle, but the server moved on (keepalives confirmed): a checkpoint records it, and gives a stop request its boundary.
        else if (acked > checkpointed) yield* checkpoint(acked)
        // Idle and continuous: a checkpoint per window all the same — a stop is only seen at a checkpoint, and a quiet
        // database may send nothing for minutes (measured: a 2 s deadline ended 10 s late without it).
        else if (a.target === undefined) yield* checkpoint(lastCommit > checkpointed ? lastCommit : checkpointed)
      }
      // Ask for a keepalive: it says where the server is, so an idle slot is confirmed forward (and a bounded run ends).
      stream.ack(acked, true)
      continue
    }
    pending = undefined
    const frame = got.value
    if (!frame) throw new SluiceError({ code: 'SOURCE_FAILED', message: 'postgres replication: the server ended the replication stream', retryable: true })
    if (frame.kind === 'keepalive') {
      if (!inTx && changes === 0 && frame.walEnd > acked) confirm(frame.walEnd, false)
      else if (frame.replyRequested) confirm(acked, false)
      if (a.target !== undefined && !inTx && frame.walEnd >= a.target) break
      continue
    }
    const m = decodePgOutput(frame.payload)
    switch (m.tag) {
      case 'begin':
        inTx = true
        skip = m.finalLsn < a.from
        break
      case 'commit':
        inTx = false
        if (!skip && m.endLsn > lastCommit) lastCommit = m.endLsn
        if (changes >= a.checkpointRows || (changes > 0 && Date.now() - windowStart >= a.checkpointMs)) yield* checkpoint(lastCommit)
        if (a.target !== undefined && m.endLsn >= a.target) return yield* finish()
        break
      case 'relation':
        yield* relation(m)
        break
      case 'insert':
      case 'update':
      case 'delete': {
        const w = skip ? undefined : windows.get(m.relid)
        if (!w) break
        if (m.tag === 'insert') w.insert(m.row)
        else if (m.tag === 'update') w.update(m.old, m.row)
        else w.delete(m.old)
        changes++
        // A large transaction: write what is pending (uncommitted until the next checkpoint) rather than hold it all.
        if (++held >= a.flushRows) {
          for (const x of windows.values()) if (x.size > 0) yield* await x.flush(types)
          held = 0
        }
        break
      }
      case 'truncate':
        for (const relid of skip ? [] : m.relids) {
          const w = windows.get(relid)
          if (!w) continue
          if (w.size > 0) yield* await w.flush(types)
          // It happened at the source: applied with the next checkpoint, not deferred to a succeeded sync.
          yield op.truncate(w.shape.table, { when: 'checkpoint' })
          changes++
        }
        break
    }
  }
  yield* finish()

  /** The last checkpoint, at a commit boundary: the latest of the last commit and the confirmed keepalive position (one is past the other only with nothing in between). */
  async function* finish(): AsyncGenerator<Message> {
    const at = lastCommit > acked ? lastCommit : acked
    if (changes > 0 || at > checkpointed) yield* checkpoint(at)
  }
}

function sameShape(a: TableShape, b: TableShape): boolean {
  return (
    a.columns.length === b.columns.length &&
    a.columns.every((c, i) => c.name === b.columns[i]!.name && c.type === b.columns[i]!.type && c.sqlType === b.columns[i]!.sqlType) &&
    a.output.join() === b.output.join() &&
    a.key.join() === b.key.join()
  )
}

/** The frame, or TICK after `ms` without one, or STOP once the signal aborts. */
async function race<T>(next: Promise<T>, ms: number, signal: AbortSignal): Promise<{ value: T } | typeof TICK | typeof STOP> {
  if (signal.aborted) return STOP
  let timer: NodeJS.Timeout | undefined
  let onAbort: (() => void) | undefined
  try {
    return await Promise.race([
      next.then((value) => ({ value })),
      new Promise<typeof TICK>((resolve) => (timer = setTimeout(() => resolve(TICK), ms))),
      new Promise<typeof STOP>((resolve) => signal.addEventListener('abort', (onAbort = () => resolve(STOP)), { once: true })),
    ])
  } finally {
    clearTimeout(timer)
    if (onAbort) signal.removeEventListener('abort', onAbort)
  }
}

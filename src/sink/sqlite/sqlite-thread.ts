import { writableCheck } from '../writable-check.js'
import { createRequire } from 'node:module'
import { pathToFileURL } from 'node:url'
import type { Row } from '../../core/batch.js'
import type { RecordsMessage } from '../../core/message.js'
import type { AppliedSchemaChange, Sink, SinkMessage } from '../../contracts/sink.js'
import { SinkWorkerClient, type WorkerScript } from '../thread/sink-worker-client.js'
import { toWireBatch } from '../thread/wire-batch.js'
import type { SqliteOptions } from './sqlite-options.js'

/** Records writes posted without waiting for the worker: enough to keep it busy, few enough to bound memory (batches). */
const MAX_DETACHED = 3
/** How long a worker started outside a sync (a `read`, a lease) lives on without requests, in ms. */
const IDLE_MS = 2_000

/**
 * The `sqlite({ path, thread: true })` sink: a proxy whose worker thread owns the real SQLite
 * sink, so that the source and stages (main thread) overlap the writes (second core).
 *
 * Every method is forwarded in order. A records write of a table whose batch shape (column names
 * and types) was already written this sync can't change the schema (`reconcile` only adds and
 * widens), so it resolves as soon as it is posted; at most `MAX_DETACHED` are out at once. A
 * failure of such a write comes back from the next call that waits — a schema write, a new batch
 * shape, `checkpoint` or `close` — and the worker commits nothing after it, so a checkpoint is
 * acknowledged only once every write before it and the commit succeeded (DESIGN section 3).
 */
export function sqliteThread(options: SqliteOptions): Sink {
  let failure: unknown
  const client = new SinkWorkerClient({
    name: 'sqlite',
    script: workerScript,
    workerData: { options: { path: options.path, ...(options.busyTimeoutMs === undefined ? {} : { busyTimeoutMs: options.busyTimeoutMs }) } },
    idleMs: IDLE_MS,
    onLost: (error) => (failure ??= error),
  })
  /** Settles when each detached write has been answered, oldest first. */
  const detached: Promise<void>[] = []
  /** Per table, the batch shapes written (and answered) this sync. */
  const shapes = new Map<string, Set<string>>()
  /** Schema changes a detached write reported after all (none expected): handed to the next write's caller. */
  let late: AppliedSchemaChange[] = []
  const call = <T>(method: string, args?: unknown) => client.call(method, args) as Promise<T>
  /** Whether a call of this sync failed to its caller: then `close` needn't report a detached failure again. */
  let told = false
  const checkFailure = () => {
    if (failure !== undefined) throw failure
  }
  /** A call inside the sync's transaction, refused once a detached write failed. */
  const inRun = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      checkFailure()
      return await work()
    } catch (error) {
      told = true
      throw error
    }
  }
  const takeLate = (): AppliedSchemaChange[] => {
    const out = late
    late = []
    return out
  }

  const detach = (message: RecordsMessage) => {
    const answered = client.call('write', { message: { ...message, batch: toWireBatch(message.batch) } }, true).then(
      (applied) => void late.push(...((applied as AppliedSchemaChange[] | undefined) ?? [])),
      (error: unknown) => void (failure ??= error),
    )
    const settled = answered.then(() => void detached.splice(detached.indexOf(settled), 1))
    detached.push(settled)
  }

  const write = async (message: SinkMessage): Promise<readonly AppliedSchemaChange[]> => {
    if (message.kind !== 'records') return [...takeLate(), ...((await call<AppliedSchemaChange[] | undefined>('write', { message })) ?? [])]
    const shape = shapeOf(message)
    const seen = shapes.get(message.table)
    if (!seen?.has(shape)) {
      const applied = await call<AppliedSchemaChange[] | undefined>('write', { message: { ...message, batch: toWireBatch(message.batch) } })
      shapes.set(message.table, (seen ?? new Set()).add(shape))
      return [...takeLate(), ...(applied ?? [])]
    }
    while (detached.length >= MAX_DETACHED) await detached[0]
    checkFailure()
    detach(message)
    return takeLate()
  }

  return {
    name: 'sqlite',
    check: () => writableCheck({ name: 'sqlite: file', path: options.path, kind: 'file' }),
    async open(args) {
      failure = undefined
      told = false
      shapes.clear()
      late = []
      client.keepAlive = true
      try {
        return await call('open', args)
      } catch (error) {
        client.keepAlive = false
        throw error
      }
    },
    write: ({ message }) => inRun(() => write(message)),
    checkpoint: (args) => inRun(() => call('checkpoint', args)),
    async close(args) {
      try {
        // A worker lost mid-sync took its open transaction with it: nothing to close but the error.
        if (failure !== undefined && !client.alive) throw failure
        await call('close', { ...args, told })
      } finally {
        client.keepAlive = false
        await client.terminate()
      }
    },
    recordErrors: (args) => inRun(() => call('recordErrors', args)),
    meter: (args) => inRun(() => call('meter', args)),
    recordMarThreshold: (args) => inRun(() => call('recordMarThreshold', args)),
    read: async (args) => asBuffers(await call<Row[]>('read', args)),
    readErrors: () => call('readErrors'),
    describe: () => call('describe'),
    schemaHistory: () => call('schemaHistory'),
    resetState: (args) => call('resetState', args),
    fence: (args) => call('fence', args),
    loadState: (args) => call('loadState', args),
    readMar: (args) => call('readMar', args),
    history: (args) => call('history', args),
    acquireLease: (args) => call('acquireLease', args),
    releaseLease: (args) => call('releaseLease', args),
    loadConnector: (args) => call('loadConnector', args),
    saveConnector: (args) => call('saveConnector', args),
    connectors: () => call('connectors'),
    leases: (args) => call('leases', args),
    syncErrors: (args) => call('syncErrors', args),
    marThresholds: (args) => call('marThresholds', args),
  }
}

/** Column names and types: a batch of a shape already written can't add or widen a column. */
function shapeOf(message: RecordsMessage): string {
  let shape = ''
  for (const c of message.batch.columns) shape += `${c.name}\u0001${c.type}\u0000`
  return shape
}

/** better-sqlite3 reads BLOBs as Buffer; structured clone delivers Uint8Array: give callers what the plain sink gives. */
function asBuffers(rows: Row[]): Row[] {
  for (const row of rows) {
    for (const [k, v] of Object.entries(row)) if (v instanceof Uint8Array && !Buffer.isBuffer(v)) row[k] = Buffer.from(v.buffer, v.byteOffset, v.byteLength)
  }
  return rows
}

/**
 * Where the worker module is. Built, it sits next to this bundle (dist/sqlite-thread-worker.js,
 * or .cjs beside the CommonJS build, where esbuild empties `import.meta` and `__filename` is the
 * bundle); from source (tsx, vitest) it is the .ts file next to this one, run with tsx's ESM
 * loader (its `esm/api` module, resolved from here), since a worker gets no TypeScript support
 * from its parent's loader.
 */
function workerScript(): WorkerScript {
  const here = (import.meta.url as string | undefined) ?? pathToFileURL(__filename).href
  if (here.endsWith('.ts')) {
    const tsx = pathToFileURL(createRequire(here).resolve('tsx/package.json'))
    return { file: new URL('./sqlite-thread-worker.ts', here), loader: new URL('./dist/esm/api/index.mjs', tsx) }
  }
  return { file: new URL(here.endsWith('.cjs') ? './sqlite-thread-worker.cjs' : './sqlite-thread-worker.js', here) }
}

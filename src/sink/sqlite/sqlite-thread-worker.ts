/**
 * The worker side of `sqlite({ thread: true })` (see sqlite-thread.ts): owns the real SQLite sink
 * and applies requests one after another, in the order they were posted. A built entry of its own
 * (dist/sqlite-thread-worker.js and .cjs), started by path; never imported by the library.
 */
import { parentPort, workerData } from 'node:worker_threads'
import type { SinkMessage } from '../../contracts/sink.js'
import type { SyncReport, SyncStatus } from '../../contracts/sync-report.js'
import { SluiceError } from '../../core/sluice-error.js'
import { fromWireBatch, type WireBatch } from '../thread/wire-batch.js'
import { toWireError } from '../thread/wire-error.js'
import type { WorkerReply, WorkerRequest } from '../thread/sink-worker-client.js'
import { sqlite } from './sqlite-sink.js'
import type { SqliteOptions } from './sqlite-options.js'

/** Methods that work inside the sync's open transaction: refused once a detached write failed. */
const IN_RUN = new Set(['write', 'checkpoint', 'recordErrors', 'meter', 'recordMarThreshold'])
/** Every method a caller may forward (the plain sqlite sink has them all). */
const METHODS = new Set([
  ...IN_RUN, 'open', 'close', 'readErrors', 'read', 'describe', 'schemaHistory', 'resetState', 'fence', 'loadState',
  'readMar', 'history', 'acquireLease', 'releaseLease', 'loadConnector', 'saveConnector',
  'connectors', 'leases', 'syncErrors', 'marThresholds',
])

const port = parentPort
// internal invariant: only sqlite({ thread: true }) starts this file, always as a worker
if (!port) throw new Error('sqlite-thread-worker runs only as a worker thread')
const sink = sqlite((workerData as { options: SqliteOptions }).options) as unknown as Record<string, (args?: unknown) => Promise<unknown>>
/** The failure of a write nobody waited for: the next call that waits gets it, and nothing commits after it. */
let failure: unknown
let queue: Promise<void> = Promise.resolve()

port.on('message', (request: WorkerRequest) => {
  queue = queue.then(() => handle(request))
})
port.postMessage({ ready: true } satisfies WorkerReply)

async function handle(request: WorkerRequest): Promise<void> {
  let reply: WorkerReply
  try {
    reply = { id: request.id, ok: true, value: await dispatch(request) }
  } catch (error) {
    if (request.detached) failure ??= error
    reply = { id: request.id, ok: false, error: toWireError(error) }
  }
  port!.postMessage(reply)
}

async function dispatch({ method, args }: WorkerRequest): Promise<unknown> {
  if (!METHODS.has(method) || typeof sink[method] !== 'function') {
    throw new SluiceError({ code: 'INTERNAL', message: `sqlite thread: unknown sink method ${method}` })
  }
  if (method === 'open') failure = undefined
  else if (method === 'close' && failure !== undefined) {
    const close = args as CloseArgs
    // A caller told of a failure closes the failed sync as usual; one that never heard of it (or closes it as a success) hears it now.
    if (!close.told || close.status === 'succeeded') return closeFailed(close)
    failure = undefined
  } else if (failure !== undefined && IN_RUN.has(method)) throw failure
  if (method === 'close') {
    const { told: _, ...close } = args as CloseArgs
    return sink.close!(close)
  }
  if (method === 'write') return sink.write!({ message: fromWire((args as { message: WireMessage }).message) })
  return sink[method]!(args)
}

/** A sync whose detached write failed must not commit what follows its last checkpoint: roll back, record it failed, report that error. */
async function closeFailed({ report }: CloseArgs): Promise<never> {
  const error = failure
  failure = undefined
  const json = error instanceof SluiceError ? error.toJSON() : { code: 'DESTINATION_WRITE', message: String((error as Error)?.message ?? error), retryable: false, context: {} }
  await sink.close!({ status: 'failed', report: { ...report, status: 'failed', error: json } })
  throw error
}

/** `close`'s arguments, and whether a call of this sync already failed to its caller (see sqlite-thread.ts). */
interface CloseArgs {
  readonly status: SyncStatus
  readonly report: SyncReport
  readonly told?: boolean
}

type WireMessage = Exclude<SinkMessage, { kind: 'records' }> | (Omit<Extract<SinkMessage, { kind: 'records' }>, 'batch'> & { batch: WireBatch })

function fromWire(message: WireMessage): SinkMessage {
  return message.kind === 'records' ? { ...message, batch: fromWireBatch(message.batch) } : message
}

import { Worker } from 'node:worker_threads'
import { SluiceError } from '../../core/sluice-error.js'
import { readHexDigests, writeUtf8 } from './batch-text.js'
import { hmacModule, LAYOUT } from './hmac-program.js'
import { reserve } from './hmac-sha256.js'

// Plain CommonJS run with `eval`: no file to resolve, so it works from source, from the bundle and under tsx.
// It gets the compiled kernel and the key's midstates, never the key.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const reserve = ${reserve.toString()}
const kernel = new WebAssembly.Instance(workerData.module).exports
new Int32Array(kernel.memory.buffer, workerData.midstatesAt, 16).set(workerData.midstates)
parentPort.on('message', ({ id, data, offsets }) => {
  const n = offsets.length - 1
  const at = reserve(kernel.memory, n, data.byteLength, workerData.dynamic)
  const memory = new Uint8Array(kernel.memory.buffer)
  memory.set(new Uint8Array(offsets.buffer, offsets.byteOffset, offsets.byteLength), at.offsets)
  memory.set(data, at.data)
  kernel.hmac(n, at.offsets, at.data, at.out)
  const out = memory.slice(at.out, at.out + 64 * n)
  parentPort.postMessage({ id, out }, [out.buffer])
})
`

/**
 * The HMAC kernel on a worker thread, so that hashing a column runs on the second core while the
 * main thread writes the previous batch. Values go over as one UTF-8 buffer with offsets and come
 * back as one buffer of hex digits (both transferred, not copied).
 */
export class HmacWorker {
  readonly #worker: Worker
  readonly #pending = new Map<number, { resolve: (out: Buffer) => void; reject: (e: unknown) => void }>()
  #next = 0

  /** `midstates`: the key's, from `ColumnHmac.midstates` (the worker never gets the key itself). */
  constructor(midstates: Int32Array) {
    // No inherited execArgv: the worker needs only node builtins, not the parent's loaders (tsx, test runners).
    this.#worker = new Worker(WORKER_SOURCE, {
      eval: true,
      execArgv: [],
      workerData: { module: hmacModule(), midstates, midstatesAt: LAYOUT.INNER, dynamic: LAYOUT.DYNAMIC },
    })
    this.#worker.unref()
    this.#worker.on('message', ({ id, out }: { id: number; out: Uint8Array }) => {
      const job = this.#pending.get(id)
      this.#pending.delete(id)
      if (this.#pending.size === 0) this.#worker.unref()
      job?.resolve(Buffer.from(out.buffer, out.byteOffset, out.byteLength))
    })
    const fail = (cause: unknown) => {
      const error = new SluiceError({ code: 'STAGE_FAILED', message: `hashColumns: the hash worker failed: ${(cause as Error).message ?? String(cause)}`, cause })
      for (const job of this.#pending.values()) job.reject(error)
      this.#pending.clear()
    }
    this.#worker.on('error', fail)
    this.#worker.on('exit', (code) => fail(new Error(`it exited with code ${code}`)))
  }

  /** Lowercase hex HMACs of `texts` (UTF-8), in order. */
  async texts(texts: readonly string[]): Promise<string[]> {
    const n = texts.length
    // Its own ArrayBuffer (not Buffer's shared pool), so it can be transferred; sized for e-mail-like values, grown if need be.
    let buffer = Buffer.allocUnsafeSlow(48 * n)
    const offsets = new Int32Array(n + 1)
    const written = writeUtf8(texts, 0, offsets, (end) => {
      if (end > buffer.length) {
        const grown = Buffer.allocUnsafeSlow(Math.max(end, 2 * buffer.length))
        buffer.copy(grown)
        buffer = grown
      }
      return buffer
    })
    const data = buffer.subarray(0, written)
    const id = this.#next++
    const out = await new Promise<Buffer>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject })
      // Referenced only while a job is out: an idle worker must not keep the process alive, a busy one must.
      this.#worker.ref()
      this.#worker.postMessage({ id, data, offsets }, [data.buffer as ArrayBuffer, offsets.buffer as ArrayBuffer])
    })
    return readHexDigests(out, 0, n)
  }

  async close(): Promise<void> {
    await this.#worker.terminate()
  }
}

import { createHash, hash } from 'node:crypto'
import { Worker } from 'node:worker_threads'
import { HMAC_KERNEL_SOURCE } from './hmac-kernel.js'

/** The two padded key blocks of HMAC-SHA256 (RFC 2104): all a hasher needs of the salt. */
interface Pads {
  readonly ipad: Buffer
  readonly opad: Buffer
}

/** The key's ipad and opad blocks (a key longer than a block is hashed first). */
export function padsOf(key: Uint8Array): Pads {
  const k = key.byteLength > 64 ? createHash('sha256').update(key).digest() : key
  const ipad = Buffer.alloc(64, 0x36)
  const opad = Buffer.alloc(64, 0x5c)
  for (let i = 0; i < k.byteLength; i++) {
    ipad[i]! ^= k[i]!
    opad[i]! ^= k[i]!
  }
  return { ipad, opad }
}

/**
 * HMAC-SHA256 as two one-shot `crypto.hash` calls over pre-padded key blocks: the same bytes as
 * `createHmac('sha256', key).update(text).digest('hex')`, about twice as fast for short values
 * (no HMAC object and key schedule per value; the inner digest travels as latin1 text, which
 * beat a Buffer digest here). Not exported from the package: `hashColumns` is the public face.
 */
export class HmacSha256 {
  readonly #opad: Buffer
  readonly #ipad: Buffer
  #inner: Buffer
  readonly #outer = Buffer.alloc(96)

  constructor(key: Uint8Array) {
    const { ipad, opad } = padsOf(key)
    this.#ipad = ipad
    this.#opad = opad
    this.#inner = Buffer.alloc(64 + 1024)
    ipad.copy(this.#inner)
    opad.copy(this.#outer)
  }

  /** Lowercase hex HMAC of the UTF-8 bytes of `text`. */
  text(text: string): string {
    if (64 + text.length * 3 > this.#inner.length) this.#grow(text.length * 3)
    const n = this.#inner.write(text, 64, 'utf8')
    return this.#finish(n)
  }

  /** Lowercase hex HMAC of `bytes`. */
  bytes(bytes: Uint8Array): string {
    if (64 + bytes.byteLength > this.#inner.length) this.#grow(bytes.byteLength)
    this.#inner.set(bytes, 64)
    return this.#finish(bytes.byteLength)
  }

  /** The padded key blocks, for a worker that hashes off the main thread. */
  get pads(): Pads {
    return { ipad: this.#ipad, opad: this.#opad }
  }

  #finish(n: number): string {
    const inner = hash('sha256', this.#inner.subarray(0, 64 + n), 'binary') // 'binary' is latin1: one char per byte
    this.#outer.write(inner, 64, 'latin1')
    return hash('sha256', this.#outer, 'hex')
  }

  #grow(bytes: number): void {
    this.#inner = Buffer.alloc(64 + bytes * 2)
    this.#ipad.copy(this.#inner)
  }
}

// Plain CommonJS run with `eval`: no file to resolve, so it works from source, from the bundle and under tsx.
// The kernel hashes a whole batch in one loop from the key's midstates (see hmac-kernel.ts).
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
${HMAC_KERNEL_SOURCE}
const hmac = hmacKernel(new Uint8Array(workerData.ipad), new Uint8Array(workerData.opad))
parentPort.on('message', ({ id, data, offsets }) => {
  const n = offsets.length - 1
  const out = Buffer.alloc(32 * n)
  for (let i = 0; i < n; i++) hmac(data, offsets[i], offsets[i + 1], out, 32 * i)
  parentPort.postMessage({ id, out }, [out.buffer])
})
`

/**
 * HMAC-SHA256 of many values on a worker thread, so that hashing a column runs on the second
 * core while the main thread writes the previous batch (LIMITS.md: ~0.6M HMACs/s per core would
 * otherwise add a second to every million rows). Values go over as one UTF-8 buffer with offsets
 * and come back as one digest buffer (both transferred, not copied).
 */
export class HmacWorker {
  readonly #worker: Worker
  readonly #pending = new Map<number, { resolve: (out: Buffer) => void; reject: (e: unknown) => void }>()
  #next = 0

  constructor(pads: Pads) {
    // No inherited execArgv: the worker needs only node builtins, not the parent's loaders (tsx, test runners).
    this.#worker = new Worker(WORKER_SOURCE, { eval: true, execArgv: [], workerData: { ipad: pads.ipad, opad: pads.opad } })
    this.#worker.unref()
    this.#worker.on('message', ({ id, out }: { id: number; out: Uint8Array }) => {
      const job = this.#pending.get(id)
      this.#pending.delete(id)
      if (this.#pending.size === 0) this.#worker.unref()
      job?.resolve(Buffer.from(out.buffer, out.byteOffset, out.byteLength))
    })
    const fail = (e: unknown) => {
      for (const job of this.#pending.values()) job.reject(e)
      this.#pending.clear()
    }
    this.#worker.on('error', fail)
    this.#worker.on('exit', () => fail(new Error('hash worker exited')))
  }

  /** Lowercase hex HMACs of `texts` (UTF-8), in order. */
  async texts(texts: readonly string[]): Promise<string[]> {
    const { data, offsets } = utf8(texts)
    const id = this.#next++
    const out = await new Promise<Buffer>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject })
      // Referenced only while a job is out: an idle worker must not keep the process alive, a busy one must.
      this.#worker.ref()
      this.#worker.postMessage({ id, data, offsets }, [data.buffer as ArrayBuffer, offsets.buffer as ArrayBuffer])
    })
    // One hex string, sliced per value: V8 slices share the parent instead of allocating 10k strings.
    const hex = out.toString('hex')
    const result = new Array<string>(texts.length)
    for (let i = 0; i < texts.length; i++) result[i] = hex.slice(64 * i, 64 * i + 64)
    return result
  }

  async close(): Promise<void> {
    await this.#worker.terminate()
  }
}

/** One UTF-8 buffer (its own ArrayBuffer, so it can be transferred) and Int32 offsets. */
function utf8(texts: readonly string[]): { data: Uint8Array; offsets: Int32Array } {
  const n = texts.length
  const offsets = new Int32Array(n + 1)
  const joined = texts.join('')
  let data: Uint8Array = Buffer.from(joined, 'utf8')
  // Small strings come from Buffer's shared pool, which must not be transferred: copy those.
  if (data.byteOffset !== 0 || data.buffer.byteLength !== data.byteLength) data = new Uint8Array(data)
  let pos = 0
  if (data.byteLength === joined.length) {
    for (let i = 0; i < n; i++) offsets[i + 1] = pos += texts[i]!.length
  } else {
    for (let i = 0; i < n; i++) offsets[i + 1] = pos += Buffer.byteLength(texts[i]!, 'utf8')
  }
  return { data, offsets }
}

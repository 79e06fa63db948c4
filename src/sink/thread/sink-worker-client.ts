import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import { SluiceError } from '../../core/sluice-error.js'
import { fromWireError, type WireError } from './wire-error.js'

/** The module a sink worker runs and, from source, the TypeScript loader to register first. */
export interface WorkerScript {
  readonly file: URL
  /**
   * A module whose `register()` installs a loader for `file` (tsx's `tsx/esm/api`). Registered
   * inside the worker before the import: on Node 20 a worker's own `--import` hooks don't apply
   * to its entry module.
   */
  readonly loader?: URL
}

/** A request to the worker: the sink method, its one argument, and whether the caller waits for it. */
export interface WorkerRequest {
  readonly id: number
  readonly method: string
  readonly args: unknown
  readonly detached: boolean
}

/** The worker's answer to one request, in request order. `ready` is posted once, when the sink is built. */
export type WorkerReply = { readonly id: number; readonly ok: true; readonly value: unknown } | { readonly id: number; readonly ok: false; readonly error: WireError } | { readonly ready: true }

/** Options of {@link SinkWorkerClient}. */
export interface SinkWorkerClientOptions {
  /** Short name for errors (`sqlite`). */
  readonly name: string
  readonly script: () => WorkerScript
  readonly workerData: unknown
  /** How long a worker with nothing to do and no open sync lives on, in ms. */
  readonly idleMs: number
  /** Called when the worker dies with requests or a sync open (not when terminated). */
  readonly onLost?: (error: SluiceError) => void
}

interface Pending {
  readonly resolve: (value: unknown) => void
  readonly reject: (error: unknown) => void
}

/**
 * One worker thread that owns a sink, started on the first call: requests go out in order with
 * an id and come back in that order. The worker is referenced only while a request is out, so
 * an idle one never keeps the process alive; outside a sync (`keepAlive` false) it is ended
 * after `idleMs` without requests, and the next call starts a new one.
 */
export class SinkWorkerClient {
  readonly #options: SinkWorkerClientOptions
  readonly #pending = new Map<number, Pending>()
  #worker: Worker | undefined
  #ready = false
  #next = 0
  #idle: NodeJS.Timeout | undefined
  #keepAlive = false

  constructor(options: SinkWorkerClientOptions) {
    this.#options = options
  }

  /** True while a worker runs (one may be started by the next call otherwise). */
  get alive(): boolean {
    return this.#worker !== undefined
  }

  /** While true (a sync is open) the worker is never ended for being idle. */
  set keepAlive(value: boolean) {
    this.#keepAlive = value
    this.#settleIdle()
  }

  /**
   * Posts `method(args)` and resolves with the worker's answer. The post happens before this
   * returns (so requests keep the caller's order); a value that can't be sent throws here.
   */
  call(method: string, args: unknown, detached = false): Promise<unknown> {
    const worker = this.#start()
    const id = this.#next++
    const request: WorkerRequest = { id, method, args, detached }
    try {
      worker.postMessage(request)
    } catch (cause) {
      throw new SluiceError({
        code: 'DESTINATION_WRITE',
        message: `${this.#options.name} thread: can't send ${method} to the worker: ${(cause as Error).message}`,
        cause,
        context: { method },
      })
    }
    if (this.#pending.size === 0) worker.ref()
    clearTimeout(this.#idle)
    return new Promise((resolve, reject) => this.#pending.set(id, { resolve, reject }))
  }

  /** Ends the worker (requests still out are rejected). */
  async terminate(): Promise<void> {
    clearTimeout(this.#idle)
    const worker = this.#worker
    if (!worker) return
    this.#worker = undefined
    this.#fail(new SluiceError({ code: 'DESTINATION_WRITE', message: `${this.#options.name} thread: the worker was ended with requests still out` }))
    await worker.terminate()
  }

  #start(): Worker {
    if (this.#worker) return this.#worker
    const { file, loader } = this.#options.script()
    if (!existsSync(file)) {
      throw new SluiceError({
        code: 'DESTINATION_UNAVAILABLE',
        message: `${this.#options.name}({ thread: true }): the worker script ${fileURLToPath(file)} is missing; a bundler that inlines sluice must copy it next to the bundle, or leave out \`thread\``,
        context: { file: fileURLToPath(file) },
      })
    }
    // No inherited execArgv: the parent's loaders and test-runner flags are not the worker's business.
    const worker = loader
      ? new Worker(`import(${JSON.stringify(loader.href)}).then((m) => { m.register(); return import(${JSON.stringify(file.href)}) })`, { eval: true, execArgv: [], workerData: this.#options.workerData })
      : new Worker(file, { execArgv: [], workerData: this.#options.workerData })
    worker.unref()
    this.#worker = worker
    this.#ready = false
    worker.on('message', (reply: WorkerReply) => this.#answer(reply))
    worker.on('error', (error) => this.#lost(worker, error))
    worker.on('exit', (code) => this.#lost(worker, new Error(`the worker exited with code ${code}`)))
    return worker
  }

  #answer(reply: WorkerReply): void {
    if ('ready' in reply) {
      this.#ready = true
      return
    }
    const job = this.#pending.get(reply.id)
    if (!job) return
    this.#pending.delete(reply.id)
    if (reply.ok) job.resolve(reply.value)
    else job.reject(fromWireError(reply.error))
    if (this.#pending.size === 0) {
      this.#worker?.unref()
      this.#settleIdle()
    }
  }

  #lost(worker: Worker, cause: Error): void {
    if (worker !== this.#worker) return // ended by terminate(), or an old worker's late event
    this.#worker = undefined
    clearTimeout(this.#idle)
    const error = new SluiceError({
      code: this.#ready ? 'DESTINATION_WRITE' : 'DESTINATION_UNAVAILABLE',
      message: `${this.#options.name} thread: ${this.#ready ? 'the worker failed' : "can't start the worker"}: ${cause.message}`,
      cause,
    })
    const busy = this.#pending.size > 0 || this.#keepAlive
    this.#fail(error)
    if (busy) this.#options.onLost?.(error)
  }

  #fail(error: SluiceError): void {
    const jobs = [...this.#pending.values()]
    this.#pending.clear()
    for (const job of jobs) job.reject(error)
  }

  #settleIdle(): void {
    clearTimeout(this.#idle)
    if (this.#keepAlive || !this.#worker || this.#pending.size > 0) return
    this.#idle = setTimeout(() => void this.terminate(), this.#options.idleMs)
    this.#idle.unref()
  }
}

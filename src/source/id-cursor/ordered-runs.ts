import { setMaxListeners } from 'node:events'
import { abortedError } from '../../core/abort.js'

/**
 * What `orderedRuns` yields: an item of the head task, or the end of a task (all its items yielded).
 * Consumers checkpoint on `done`: every task before it has finished too.
 *
 * @example
 * ```ts
 * import type { OrderedEvent } from './ordered-runs.js'
 * const label = (e: OrderedEvent<number, string>) => (e.kind === 'item' ? e.item : `task ${e.task} done`)
 * ```
 */
export type OrderedEvent<R, T> = { readonly kind: 'item'; readonly item: T } | { readonly kind: 'done'; readonly task: R }

/**
 * Options of `orderedRuns`: how many tasks run at once, how far each may run ahead, and the work.
 * Pass `ahead: () => Infinity` for tasks whose output is bounded anyway.
 *
 * @example
 * ```ts
 * import type { OrderedRunsOptions } from './ordered-runs.js'
 * const options: OrderedRunsOptions<number, number> = {
 *   concurrency: 4, ahead: () => 1, signal: new AbortController().signal,
 *   run: async (n, push) => { await push(n * 2) },
 * }
 * ```
 */
export interface OrderedRunsOptions<R, T> {
  /** Tasks running at once: a sliding window that starts at the first unfinished task. */
  readonly concurrency: number
  /** Items a task may queue before its `push` waits for the consumer (backpressure). */
  readonly ahead: (task: R) => number
  /** Aborting stops every task (their `signal` fires) and ends the iteration with their error. */
  readonly signal: AbortSignal
  /** Does one task, handing its output to `push` in order; a rejection fails the task. */
  readonly run: (task: R, push: (item: T) => Promise<void>, signal: AbortSignal) => Promise<void>
}

const NOTHING = Symbol('nothing')

class Run<R, T> {
  readonly queue: T[] = []
  settled = false
  failed = false
  error: unknown
  promise: Promise<void> = Promise.resolve()
  #wakeConsumer: (() => void) | undefined
  #wakeProducer: (() => void) | undefined

  constructor(
    readonly task: R,
    readonly ahead: number,
  ) {}

  async push(item: T, signal: AbortSignal): Promise<void> {
    while (this.queue.length >= this.ahead) {
      if (signal.aborted) throw abortedError(signal, 'waiting for the consumer')
      await new Promise<void>((resolve) => {
        const done = (): void => {
          signal.removeEventListener('abort', done)
          resolve()
        }
        this.#wakeProducer = done
        signal.addEventListener('abort', done, { once: true })
      })
    }
    this.queue.push(item)
    this.#wake()
  }

  take(): T | typeof NOTHING {
    if (this.queue.length === 0) return NOTHING
    const item = this.queue.shift()!
    const wake = this.#wakeProducer
    this.#wakeProducer = undefined
    wake?.()
    return item
  }

  finish(failed: boolean, error: unknown): void {
    this.settled = true
    this.failed = failed
    this.error = error
    this.#wake()
  }

  changed(): Promise<void> {
    return new Promise((resolve) => (this.#wakeConsumer = resolve))
  }

  #wake(): void {
    const wake = this.#wakeConsumer
    this.#wakeConsumer = undefined
    wake?.()
  }
}

/**
 * Runs tasks with bounded concurrency and yields their output strictly in task order, each task's
 * items followed by a `done` event; tasks may finish out of order. Once a task fails no new task
 * starts; the tasks before it still finish and are yielded, then the failure is thrown — so a
 * consumer that checkpoints on `done` only ever commits a completed prefix. Leaving early (break,
 * throw, abort) aborts the running tasks and waits for them to settle.
 *
 * Used by `idCursor` to fetch id ranges in parallel while emitting and checkpointing them in id order.
 *
 * @example
 * ```ts
 * import { orderedRuns } from './ordered-runs.js'
 * const events = orderedRuns([3, 1, 2].values(), {
 *   concurrency: 3, ahead: () => Infinity, signal: new AbortController().signal,
 *   run: async (ms, push) => { await new Promise((r) => setTimeout(r, ms)); await push(ms) },
 * })
 * for await (const e of events) if (e.kind === 'item') console.log(e.item) // 3, 1, 2
 * ```
 */
export async function* orderedRuns<R, T>(tasks: Iterator<R>, options: OrderedRunsOptions<R, T>): AsyncGenerator<OrderedEvent<R, T>> {
  const controller = new AbortController()
  const onAbort = (): void => controller.abort(options.signal.reason)
  if (options.signal.aborted) onAbort()
  else options.signal.addEventListener('abort', onAbort, { once: true })
  const active: Run<R, T>[] = []
  let failed = false
  let exhausted = false

  // One listener per running task on the shared signal; each task's own signal carries its requests' listeners.
  setMaxListeners(options.concurrency + 10, controller.signal)

  const start = (task: R): Run<R, T> => {
    const run = new Run<R, T>(task, options.ahead(task))
    const own = new AbortController()
    const forward = (): void => own.abort(controller.signal.reason)
    controller.signal.addEventListener('abort', forward, { once: true })
    run.promise = options
      .run(task, (item) => run.push(item, own.signal), own.signal)
      .then(
        () => run.finish(false, undefined),
        (error: unknown) => {
          // Stop widening the window: the tasks before this one finish, nothing after it starts.
          failed = true
          run.finish(true, error)
        },
      )
      .finally(() => controller.signal.removeEventListener('abort', forward))
    return run
  }
  const fill = (): void => {
    while (!failed && !exhausted && active.length < options.concurrency && !controller.signal.aborted) {
      const next = tasks.next()
      if (next.done) exhausted = true
      else active.push(start(next.value))
    }
  }

  try {
    fill()
    while (active.length > 0) {
      const head = active[0]!
      for (;;) {
        const item = head.take()
        if (item !== NOTHING) {
          yield { kind: 'item', item }
          continue
        }
        if (head.settled) break
        await head.changed()
      }
      active.shift()
      if (head.failed) throw head.error
      yield { kind: 'done', task: head.task }
      fill()
    }
  } finally {
    options.signal.removeEventListener('abort', onAbort)
    controller.abort(new Error('ordered runs closed'))
    await Promise.allSettled(active.map((r) => r.promise))
  }
}

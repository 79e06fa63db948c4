/**
 * Turns a deadline and an outside `AbortSignal` into a two-step stop: first a request (the sync
 * ends at the next checkpoint, state saved), then, after a grace period without a checkpoint, an
 * abort of the source's signal (uncommitted work is rolled back, nothing is lost).
 */
export class StopController {
  readonly #abort = new AbortController()
  readonly #timers: NodeJS.Timeout[] = []
  readonly #graceMs: number
  readonly #outside: AbortSignal | undefined
  readonly #onOutside = () => this.request('aborted')
  #reason: string | undefined

  constructor(options: { signal: AbortSignal | undefined; deadlineMs: number | undefined; graceMs: number }) {
    this.#graceMs = options.graceMs
    this.#outside = options.signal
    if (options.deadlineMs !== undefined) this.#later(options.deadlineMs, () => this.request('deadline'))
    if (options.signal?.aborted) this.request('aborted')
    else options.signal?.addEventListener('abort', this.#onOutside, { once: true })
  }

  /** The signal handed to the source: aborted only when a requested stop has waited out the grace period. */
  get signal(): AbortSignal {
    return this.#abort.signal
  }

  get requested(): boolean {
    return this.#reason !== undefined
  }

  get aborted(): boolean {
    return this.#abort.signal.aborted
  }

  get reason(): string | undefined {
    return this.#reason
  }

  /** Asks the sync to stop at the next checkpoint; aborts the source after the grace period. */
  request(reason: string): void {
    if (this.#reason !== undefined) return
    this.#reason = reason
    this.#later(this.#graceMs, () => this.#abort.abort(new Error(`sync stopped: ${reason}`)))
  }

  /** Aborts the source's signal now: the sync stopped at a checkpoint and wants nothing more from it. */
  abandon(): void {
    this.#abort.abort(new Error(`sync stopped: ${this.#reason ?? 'aborted'}`))
  }

  dispose(): void {
    for (const t of this.#timers) clearTimeout(t)
    this.#outside?.removeEventListener('abort', this.#onOutside)
  }

  #later(ms: number, fn: () => void): void {
    const timer = setTimeout(fn, ms)
    timer.unref()
    this.#timers.push(timer)
  }
}

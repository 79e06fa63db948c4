/**
 * Truncates wait until a sync succeeds, and survive checkpoints in between: a truncate at
 * write-time T soft-deletes the table's rows whose `_sluice_synced` is before T. Write times
 * come from a clock that never repeats or goes back, so "before T" is exact even within one
 * millisecond. Replace-mode tables register an implicit truncate at the start of a sync and keep
 * the earliest one across stopped syncs; explicit truncates keep the latest.
 */
export class DeferredTruncates {
  readonly #pending = new Map<string, number>()
  #last: number

  /**
   * `lastWrite` is the latest write time already in the destination: ticks can run a few ms ahead
   * of the wall clock (one per transaction and truncate), so "now" alone could repeat one.
   */
  constructor(saved: Readonly<Record<string, string>> = {}, lastWrite = 0) {
    this.#last = Math.max(Date.now(), lastWrite)
    for (const [table, iso] of Object.entries(saved)) {
      const t = Date.parse(iso)
      this.#pending.set(table, t)
      this.#last = Math.max(this.#last, t)
    }
  }

  /** The write time for the next rows: now, but always after every earlier one and every truncate. */
  tick(): number {
    this.#last = Math.max(Date.now(), this.#last + 1)
    return this.#last
  }

  /** The write time in effect (without advancing). */
  get current(): number {
    return this.#last
  }

  /** Moves the clock past a write time (ms) made elsewhere (a completed backfill's partitions): later ticks come after it. */
  after(t: number): void {
    this.#last = Math.max(this.#last, t)
  }

  /** Registers an explicit truncate: rows written so far are before it, rows after it are not. */
  truncate(table: string): void {
    const t = this.tick()
    this.#pending.set(table, t)
    this.tick() // rows after the truncate get a later time than T
  }

  /** Registers the implicit truncate of a replace-mode table unless one is already pending. */
  replace(table: string): void {
    if (!this.#pending.has(table)) this.#pending.set(table, this.tick())
  }

  /** Pending truncates as saved with a checkpoint: table → ISO time. */
  toJSON(): Record<string, string> {
    const out: Record<string, string> = {}
    for (const [table, t] of this.#pending) out[table] = new Date(t).toISOString()
    return out
  }

  /** Pending truncates to apply on success. */
  entries(): [string, string][] {
    return Object.entries(this.toJSON())
  }

  /** Removes one table's pending truncate and returns its time (ISO), to apply it now. */
  take(table: string): string | undefined {
    const t = this.#pending.get(table)
    this.#pending.delete(table)
    return t === undefined ? undefined : new Date(t).toISOString()
  }

  clear(): void {
    this.#pending.clear()
  }
}

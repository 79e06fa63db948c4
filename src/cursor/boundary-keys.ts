import { compareKeys, type CursorKey } from './cursor-value.js'

/**
 * The highest cursor value seen and the primary keys of the rows seen at exactly that value, in bounded memory.
 * Used by incremental streams: the next sync reads `cursor >= max` (a closed bound) and skips rows whose key
 * is remembered here, so rows tied at the boundary are neither lost nor written twice.
 *
 * Past `cap` keys at one value the keys are dropped and `keys` turns undefined: the next sync then re-emits
 * every row at that value (idempotent upserts); no row is ever skipped on an incomplete memory.
 *
 * Rows are keyed lazily (`keyOf` runs when `keys` or `has` is asked, at most once per row): an ascending stream
 * replaces its maximum on nearly every row, and building keys that are thrown away at once would dominate.
 *
 * @example
 * ```ts
 * import { BoundaryKeys } from './boundary-keys.js'
 * const seen = new BoundaryKeys<{ id: number }>({ cap: 10_000, keyOf: (row) => String(row.id) })
 * seen.observe('2026-01-01T00:00:00.000000000', '2026-01-01T00:00:00Z', { id: 7 })
 * seen.keys // ['7']
 * ```
 */
export class BoundaryKeys<T> {
  #key: CursorKey | undefined
  #value: string | number | undefined
  readonly #keys = new Set<string>()
  readonly #pending: T[] = []
  #complete = true
  readonly #cap: number
  readonly #keyOf: (item: T) => string | undefined

  constructor(args: {
    readonly cap: number
    /** A row's primary key as text; undefined when the table has none (then nothing can be de-duplicated). */
    readonly keyOf: (item: T) => string | undefined
    /** Resume from a saved boundary: its comparable key, its value as written, and the keys saved with it. */
    readonly start?: { readonly key: CursorKey; readonly value: string | number; readonly keys: readonly string[] | undefined }
  }) {
    this.#cap = args.cap
    this.#keyOf = args.keyOf
    if (args.start) {
      this.#key = args.start.key
      this.#value = args.start.value
      if (args.start.keys === undefined) this.#complete = false
      else for (const k of args.start.keys) this.#add(k)
    }
  }

  /** The highest comparable key seen, if any. */
  get key(): CursorKey | undefined {
    return this.#key
  }

  /** The highest value seen, as the API wrote it. */
  get value(): string | number | undefined {
    return this.#value
  }

  /** The keys of rows at `value`, or undefined when more than `cap` were seen (then nothing may be skipped). */
  get keys(): readonly string[] | undefined {
    this.#flush()
    return this.#complete ? [...this.#keys] : undefined
  }

  /** True when a row with key text `rowKey` was seen at exactly `key` (and the memory is complete). */
  has(key: CursorKey, rowKey: string): boolean {
    if (this.#key === undefined || key !== this.#key) return false
    this.#flush()
    return this.#complete && this.#keys.has(rowKey)
  }

  /** Records a row's cursor (`key` comparable, `value` as written). */
  observe(key: CursorKey, value: string | number, item: T): void {
    const order = this.#key === undefined ? 1 : compareKeys(key, this.#key)
    if (order < 0) return
    if (order > 0) {
      this.#key = key
      this.#value = value
      this.#keys.clear()
      this.#pending.length = 0
      this.#complete = true
    }
    if (!this.#complete) return
    this.#pending.push(item)
    if (this.#pending.length > this.#cap) this.#flush() // bounds what is held between checkpoints
  }

  #flush(): void {
    for (const item of this.#pending) {
      if (!this.#complete) break
      const text = this.#keyOf(item)
      if (text === undefined) {
        this.#keys.clear()
        this.#complete = false
      } else this.#add(text)
    }
    this.#pending.length = 0
  }

  #add(rowKey: string): void {
    if (this.#keys.has(rowKey)) return
    if (this.#keys.size >= this.#cap) {
      this.#keys.clear()
      this.#complete = false
      return
    }
    this.#keys.add(rowKey)
  }
}

import type { Row } from '../core/batch.js'
import type { RecordError } from '../core/error-record.js'
import { SluiceError } from '../core/sluice-error.js'
import { BoundaryKeys } from './boundary-keys.js'
import { cursorKey, cursorTypeOf, parseTimestamp, shiftCursor, type CursorKey, type CursorType } from './cursor-value.js'
import type { IncrementalConfig } from './incremental-options.js'

/**
 * What a completed incremental stream keeps between syncs: the highest cursor written and the primary keys
 * (JSON text) of the rows at exactly that value. `keys` absent while `cursor` is set means "too many to remember":
 * rows at that value are then re-emitted (idempotent upserts), never skipped.
 *
 * @example
 * ```ts
 * import type { CursorState } from './incremental-run.js'
 * const saved: CursorState = { cursor: '2026-01-01T00:00:00Z', keys: ['[7]', '[9]'] }
 * ```
 */
export interface CursorState {
  readonly cursor?: string | number
  readonly keys?: readonly string[]
}

/**
 * An unsorted stream's progress inside one sync: the fixed lower bound it queries with, and the highest cursor
 * (and its keys) written so far, which becomes the saved cursor only when the stream completes.
  *
 * @example
 * ```ts
 * import type { CursorRunState } from './incremental-run.js'
 * const run: CursorRunState = { from: '2026-01-01T00:00:00Z', max: '2026-01-02T00:00:00Z', maxKeys: ['7'] }
 * ```
 */
export interface CursorRunState {
  readonly from?: string | number
  readonly max?: string | number
  readonly maxKeys?: readonly string[]
  /** When the run started (ms since the epoch, from the API's `Date` header): the saved cursor never passes it. */
  readonly signpost?: number
}

/**
 * One sync of one incremental stream: computes the query bounds, decides row by row what to write (lower bound,
 * `end`, boundary de-duplication, `onMissing`), and says what to checkpoint.
 * Made by a source for each stream it reads; the cursor only moves through the states it returns.
 *
 * During a sync the lower bound is fixed. Unsorted streams keep the new maximum in the run state and move the saved
 * cursor to it only in `completed()`, so a resumed sync can never skip a row an unsorted API returns later;
 * `sorted: 'asc'` streams move it after every page, since no later row can be below it.
 *
 * An unsorted timestamp stream also caps the new cursor at the run's start (the `Date` of its first response, less a
 * second): a row read early and changed later in the same run has a value above the run start but maybe below the
 * maximum seen, and the cap makes the next sync read it again instead of passing it. Sorted streams need no cap: a
 * changed row moves past every row read so far and is read later in the same run.
 *
 * @example
 * ```ts
 * import { IncrementalRun } from './incremental-run.js'
 * import { parseIncremental } from './incremental-options.js'
 * const run = new IncrementalRun({ config: parseIncremental({ cursor: 'updated_at', param: 'since' }, 'incremental'), table: 'orders', primaryKey: ['id'], recordError: () => {} })
 * run.accept({ id: 1, updated_at: '2026-01-01T00:00:00Z' }) // true
 * run.completed() // { cursor: '2026-01-01T00:00:00Z', keys: ['1'] }
 * ```
 */
export class IncrementalRun {
  readonly #config: IncrementalConfig
  readonly #table: string
  readonly #primaryKey: readonly string[] | undefined
  readonly #recordError: RecordError
  readonly #saved: CursorState
  #type: CursorType | undefined
  #from: string | number | undefined
  #fromKey: CursorKey | undefined
  #endKey: CursorKey | undefined
  #lastKey: CursorKey | undefined
  #boundary: BoundaryKeys<Row> | undefined // what the saved state says is already written
  #seen: BoundaryKeys<Row> | undefined // the highest value written (starts at the saved / resumed one)
  #tail: BoundaryKeys<Row> | undefined // sorted: the highest value written in this run below #seen (a lookback's)
  readonly #resume: CursorRunState | undefined
  readonly #now: () => number
  #signpost: number | undefined
  #pastEnd = false

  constructor(args: {
    readonly config: IncrementalConfig
    readonly table: string
    readonly primaryKey: readonly string[] | undefined
    readonly recordError: RecordError
    readonly saved?: CursorState | undefined
    /** The run state of an unsorted stream that a previous sync left unfinished. */
    readonly resume?: CursorRunState | undefined
    /** Fallback for `markStart` when a response has no `Date` header. Default `Date.now`. */
    readonly now?: () => number
  }) {
    this.#now = args.now ?? Date.now
    this.#config = args.config
    this.#table = args.table
    this.#primaryKey = args.primaryKey && args.primaryKey.length > 0 ? args.primaryKey : undefined
    this.#recordError = args.recordError
    this.#saved = args.saved ?? {}
    this.#resume = args.config.sorted ? undefined : args.resume
    this.#signpost = this.#resume?.signpost
    this.#type = args.config.type ?? cursorTypeOf(this.#saved.cursor) ?? cursorTypeOf(this.#resume?.from) ?? cursorTypeOf(this.#resume?.max)
    const saved = this.#saved.cursor
    if (this.#resume?.from !== undefined) this.#from = this.#resume.from
    else if (saved !== undefined && this.#type !== undefined) this.#from = this.#shift(saved)
    else this.#from = args.config.initial
    if (this.#type !== undefined) this.#prepare(this.#type)
  }

  /** The lower bound this sync queries with (inclusive), if any. */
  get from(): string | number | undefined {
    return this.#from
  }

  /** True once a row at or past `end` was seen: with a sorted API nothing after it can be wanted. */
  get pastEnd(): boolean {
    return this.#pastEnd
  }

  /**
   * Notes when the run started, from the first response's `Date` header (ms) or the clock; later calls do nothing.
   * Call it for every page before accepting its rows.
   */
  markStart(serverDate: number | undefined): void {
    if (this.#signpost !== undefined || this.#config.sorted) return
    // A second of slack: the header has second resolution and is stamped after the page was read.
    this.#signpost = (serverDate !== undefined && Number.isFinite(serverDate) ? serverDate : this.#now()) - 1000
  }

  /** Query parameters for the bounds: `param` = lower bound, `endParam` = end. */
  query(): Record<string, string | number> {
    const out: Record<string, string | number> = {}
    if (this.#config.param !== undefined && this.#from !== undefined) out[this.#config.param] = this.#from
    if (this.#config.endParam !== undefined && this.#config.end !== undefined) out[this.#config.endParam] = this.#config.end
    return out
  }

  /** Whether to write `row`; records what it saw. Throws CURSOR_MISSING / CURSOR_INVALID / CURSOR_UNSORTED. */
  accept(row: Row): boolean {
    const raw = this.#config.read(row)
    if (raw === undefined || raw === null) return this.#missing(row)
    const type = this.#type ?? this.#infer(raw, row)
    let key: CursorKey
    try {
      key = cursorKey(raw, type, `${this.#table}.${this.#config.field}`)
    } catch (error) {
      throw this.#withRow(error as SluiceError, row)
    }
    if (this.#config.sorted) {
      if (this.#lastKey !== undefined && key < this.#lastKey) {
        throw new SluiceError({
          code: 'CURSOR_UNSORTED',
          message: `${this.#table}: row ${this.#rowText(row)} has ${this.#config.field} ${JSON.stringify(raw)}, lower than a row before it, but incremental.sorted is 'asc'; remove sorted (the cursor then advances only when the stream completes)`,
          context: { table: this.#table, field: this.#config.field, key: this.#rowKeyObject(row) },
        })
      }
      this.#lastKey = key
    }
    if (this.#fromKey !== undefined && key < this.#fromKey) return false
    if (this.#endKey !== undefined && key >= this.#endKey) {
      this.#pastEnd = true
      return false
    }
    if (this.#boundary !== undefined && key === this.#boundary.key && this.#boundary.has(key, this.#rowKey(row) ?? '')) return false
    const value = typeof raw === 'number' || typeof raw === 'string' ? raw : String(raw)
    const seen = this.#seen!
    if (this.#tail) {
      // A sorted stream paged by its cursor asks again from the last value it read: rows written there come back.
      // That value is the highest seen, or one below it while a lookback re-reads what the last sync saved.
      const last = seen.key === undefined || key >= seen.key ? seen : this.#tail
      if (key === last.key && last.has(key, this.#rowKey(row) ?? '')) return false
      if (last === this.#tail) this.#tail.observe(key, value, row)
    }
    seen.observe(key, value, row)
    return true
  }

  /**
   * The next rows are read again from a lower value than rows already accepted (a sorted stream paged by its cursor
   * reads the rows at one value again when they moved): the sorted-order check starts over with them.
   */
  restartOrder(): void {
    this.#lastKey = undefined
  }

  /** The saved cursor and run state to checkpoint after a page (sorted streams advance the saved cursor; unsorted ones the run state). */
  progress(): { readonly saved: CursorState; readonly run: CursorRunState | undefined } {
    if (this.#config.sorted) return { saved: this.completed(), run: undefined }
    const run: { from?: string | number; max?: string | number; maxKeys?: readonly string[]; signpost?: number } = {}
    if (this.#from !== undefined) run.from = this.#from
    if (this.#signpost !== undefined) run.signpost = this.#signpost
    if (this.#seen?.value !== undefined) {
      run.max = this.#seen.value
      const keys = this.#seen.keys
      if (keys) run.maxKeys = keys
    }
    return { saved: this.#saved, run }
  }

  /** The cursor state once every page was read and written: the new lower bound of the next sync. */
  completed(): CursorState {
    const value = this.#seen?.value ?? this.#saved.cursor
    if (value === undefined) return {}
    const capped = this.#capped(value)
    if (capped !== undefined) return { cursor: capped } // keys at the cap are unknown: rows there are read again
    const keys = this.#seen ? this.#seen.keys : this.#saved.keys
    return keys ? { cursor: value, keys } : { cursor: value }
  }

  /** The signpost written like `value`, when an unsorted timestamp run saw values past it. */
  #capped(value: string | number): string | number | undefined {
    if (this.#config.sorted || this.#signpost === undefined || this.#type !== 'timestamp' || typeof value !== 'string') return undefined
    const parsed = parseTimestamp(value)
    if (!parsed || parsed.ms <= this.#signpost) return undefined
    return shiftCursor(value, 'timestamp', Math.ceil(parsed.ms - this.#signpost))
  }

  #shift(value: string | number): string | number {
    const { lookback, lookbackIsDuration } = this.#config
    if (lookback === 0) return value
    if (this.#type === 'number' && lookbackIsDuration) {
      throw new SluiceError({ code: 'CONFIG_INVALID', message: `\`incremental.lookback\` of ${this.#table} is a duration but ${this.#config.field} is a number; give lookback in cursor units`, context: { option: 'incremental.lookback', table: this.#table } })
    }
    return shiftCursor(value, this.#type!, lookback)
  }

  #infer(raw: unknown, row: Row): CursorType {
    const type = cursorTypeOf(raw)
    if (type === undefined) throw this.#withRow(new SluiceError({ code: 'CURSOR_INVALID', message: `${this.#table}.${this.#config.field} must be a timestamp, number or string, got ${typeof raw}` }), row)
    this.#type = type
    // A first sync with `initial` of another kind, or a lookback, is settled here.
    if (this.#saved.cursor === undefined && this.#from !== undefined) cursorKey(this.#from, type, `${this.#table} incremental.initial`)
    this.#prepare(type)
    return type
  }

  #prepare(type: CursorType): void {
    const key = (value: string | number | undefined, what: string) => (value === undefined ? undefined : cursorKey(value, type, `${this.#table} ${what}`))
    this.#fromKey = key(this.#from, 'lower bound')
    this.#endKey = key(this.#config.end, 'incremental.end')
    const cap = this.#config.maxBoundaryKeys
    const keyOf = (row: Row) => this.#rowKey(row)
    const saved = this.#saved.cursor
    if (saved !== undefined) this.#boundary = new BoundaryKeys({ cap, keyOf, start: { key: key(saved, 'saved cursor')!, value: saved, keys: this.#saved.keys } })
    const start = this.#resume?.max !== undefined ? { value: this.#resume.max, keys: this.#resume.maxKeys } : saved !== undefined ? { value: saved, keys: this.#saved.keys } : undefined
    this.#seen = new BoundaryKeys({ cap, keyOf, ...(start ? { start: { key: key(start.value, 'saved cursor')!, value: start.value, keys: start.keys } } : {}) })
    if (this.#config.sorted) this.#tail = new BoundaryKeys({ cap, keyOf })
  }

  #missing(row: Row): boolean {
    const { onMissing, field } = this.#config
    if (onMissing === 'include') return true
    const message = `${this.#table}: row ${this.#rowText(row)} has no ${field} (missing or null)`
    if (onMissing === 'exclude') {
      const record = this.#rowKeyObject(row)
      this.#recordError({ kind: 'record', table: this.#table, code: 'CURSOR_MISSING', message: `${message}; skipped by incremental.onMissing 'exclude'`, context: { field }, ...(record ? { record } : {}) })
      return false
    }
    throw new SluiceError({
      code: 'CURSOR_MISSING',
      message: `${message}; set incremental.onMissing to 'include' (write it, cursor unchanged) or 'exclude' (record it in _sluice_errors and skip it)`,
      context: { table: this.#table, field, key: this.#rowKeyObject(row) ?? null },
    })
  }

  #rowKey(row: Row): string | undefined {
    const pk = this.#primaryKey
    if (!pk) return undefined
    return pk.length === 1 ? JSON.stringify(row[pk[0]!] ?? null) : JSON.stringify(pk.map((k) => row[k] ?? null))
  }

  #rowKeyObject(row: Row): Row | undefined {
    if (!this.#primaryKey) return undefined
    const out: Row = {}
    for (const k of this.#primaryKey) out[k] = row[k] ?? null
    return out
  }

  #rowText(row: Row): string {
    const key = this.#rowKeyObject(row)
    return key ? JSON.stringify(key) : '(no primary key declared)'
  }

  #withRow(error: SluiceError, row: Row): SluiceError {
    return new SluiceError({ code: error.code, message: `${error.message} (row ${this.#rowText(row)})`, context: { ...error.context, table: this.#table, key: this.#rowKeyObject(row) ?? null } })
  }
}

import type { Message, RecordsMessage } from '../core/message.js'
import { matchColumn } from '../core/match-column.js'
import { SluiceError } from '../core/sluice-error.js'
import { normalizeName } from '../core/normalize-name.js'
import type { StageContext } from '../contracts/stage.js'
import { editDistance } from './edit-distance.js'
import type { NamePattern } from './name-pattern.js'

/** A table, or a column of a table, that a stage was told about (`'users.email'`). */
export interface WantedName {
  /** How the option reads in errors: `hashColumns.columns[0] 'users.emial'`. */
  readonly label: string
  readonly table: NamePattern
  readonly column?: NamePattern | undefined
  /** What the name does if it matches nothing, for the error: `'its values would be written in clear'`. */
  readonly consequence: string
  /** Absence is fine; only a near miss of a column no other name covers is an error (validate's optional fields). */
  readonly optional?: boolean
  /** Check the column in every table the pattern matches, even a glob one (validate's fields). Else a glob table (`'*.ssn'`) is a blanket rule, never checked. */
  readonly everyTable?: boolean
}

/** How a stage's names are checked; see {@link UnmatchedNames}. */
export interface UnmatchedNamesOptions {
  /** Whether a name `context.selection` blocks counts as found (it is never fetched). Not for `select` itself: its own names are the blocked ones. */
  readonly blockedIsFound: boolean
  /** Wanted names the stage knows to be real by other means (select: its selection was asked about a matching name). */
  readonly tableKnown?: (index: number) => boolean
  readonly columnKnown?: (index: number) => boolean
}

interface Waiting {
  wants: number[]
  nearChecked: boolean
}

const isGlob = (pattern: NamePattern) => /[*?]/.test(pattern.text)
const never = () => false

/**
 * Fails a sync whose stage names a table or column that matches nothing (`hashColumns` of
 * `'users.emial'` would write the email in clear), with `CONFIG_INVALID` naming the option and
 * the nearest names. One instance per stage run; `see` every message before passing it on,
 * `end` when the stream is over. When is a name wrong, and when is that certain:
 *
 * - Tables, when `context.sourceTables` lists some (the source declares its tables and no stage
 *   before renames): a table name or glob that matches none of them fails at once, before the
 *   first message.
 * - Tables otherwise: a table that first appears within a typo of a name no table has matched yet
 *   (`usres` → `users`, and no other name of the stage covers `users`) fails before its first
 *   message is passed on; a name still unmatched when the stream ends fails the sync then — unless
 *   the destination already has such a table (it just had no rows this run) or a `select` blocks it.
 * - Columns of a plain table name, at the table's first upsert batch (upserts carry whole rows):
 *   a name that matches no column of that batch, no declared column and no destination column
 *   fails before the batch is passed on. A column missing from the first batch but declared or in
 *   the destination is fine (sparse rows). Update and delete batches carry some columns only: they
 *   prove nothing, except a near miss (a column of the batch within a typo of the name).
 * - The column of a glob table name (`'*.ssn'`) is a blanket rule that may match nothing in any
 *   table, and is not checked (unless `everyTable`); neither is a glob table without `sourceTables`.
 *
 * Before failing, the destination gets the last word (read once, only then): a name it has is real.
 * The cost is one set lookup per message once each table's first batch has been checked.
 */
export class UnmatchedNames {
  private readonly seen = new Set<string>()
  private readonly waiting = new Map<string, Waiting>()
  /** Plain table names not matched yet (only when no `sourceTables` are listed). */
  private tables: number[] = []
  private readonly tableKnown: (index: number) => boolean
  private readonly columnKnown: (index: number) => boolean

  constructor(
    private readonly wanted: readonly WantedName[],
    private readonly context: StageContext,
    private readonly options: UnmatchedNamesOptions,
  ) {
    this.tableKnown = options.tableKnown ?? never
    this.columnKnown = options.columnKnown ?? never
    const plain = wanted.flatMap((w, i) => (isGlob(w.table) ? [] : [i]))
    const declared = context.sourceTables?.length ? context.sourceTables : undefined
    if (!declared) {
      this.tables = plain
      return
    }
    // Here a glob is certain to match nothing too: a dead rule is far likelier a typo than meant.
    for (const [i, w] of wanted.entries()) {
      if (this.tableKnown(i) || declared.some((t) => w.table.matches(t.table))) continue
      throw this.noTable(i, isGlob(w.table) ? 'which matches no table the source declares' : 'which the source does not declare', declared.map((t) => t.table))
    }
  }

  /** Checks a message before it is passed on: throws `CONFIG_INVALID`, or returns a promise when it must read the destination. */
  see(message: Message): void | Promise<void> {
    if (message.kind === 'checkpoint') return
    if (!this.seen.has(message.table)) return this.firstOf(message)
    if (this.waiting.size === 0 || message.kind !== 'records') return
    const waiting = this.waiting.get(message.table)
    if (waiting !== undefined && matchColumn(message) === undefined) return this.columns(message, waiting)
  }

  /** At the end of a stream that ran to its end: a plain table name no table matched fails the sync. */
  async end(): Promise<void> {
    if (this.context.signal.aborted) return
    let open = this.tables.filter((i) => !this.tableKnown(i) && !this.blocked(i))
    if (open.length === 0) return
    const destination = (await this.destination()).map((t) => t.table)
    open = open.filter((i) => !destination.some((t) => this.wanted[i]!.table.matches(t)))
    if (open.length > 0) {
      throw this.noTable(open[0]!, 'but no table of this sync, nor of the destination, matched it (if the table just had no rows yet, declare it in the source)', [...this.seen, ...destination])
    }
  }

  private firstOf(message: Exclude<Message, { kind: 'checkpoint' }>): void | Promise<void> {
    const table = message.table
    this.seen.add(table)
    const wants = this.wanted.flatMap((w, i) => (w.column && (w.everyTable || !isGlob(w.table)) && w.table.matches(table) ? [i] : []))
    if (wants.length > 0) this.waiting.set(table, { wants, nearChecked: false })
    if (this.tables.length === 0) return this.see(message)
    this.tables = this.tables.filter((i) => !this.wanted[i]!.table.matches(table))
    // A table no plain name covers, within a typo of a name that matched nothing yet: that name is
    // wrong, unless the destination has a table of that name (twins such as `user` and `users`).
    const covered = this.wanted.some((w) => !isGlob(w.table) && w.table.matches(table))
    const typo = covered ? undefined : this.tables.find((i) => !this.tableKnown(i) && nearMiss(this.wanted[i]!.table.text, table))
    if (typo === undefined) return this.see(message)
    return this.destination().then((described) => {
      if (!described.some((t) => this.wanted[typo]!.table.matches(t.table))) throw this.noTable(typo, `but the source sends table ${JSON.stringify(table)}`, [table])
      this.tables = this.tables.filter((i) => i !== typo)
      return this.see(message)
    })
  }

  private columns(message: RecordsMessage, waiting: Waiting): void | Promise<void> {
    const table = message.table
    const names = message.batch.names
    const declared = Object.keys(this.context.sourceTables?.find((t) => t.table === table)?.columns ?? {})
    const open = waiting.wants.filter((i) => !this.columnKnown(i) && !this.columnFound(i, table, names) && !this.columnFound(i, table, declared))
    waiting.wants = open
    // Upserts carry whole rows: after the first, later batches can only tell what it told.
    if (message.op === 'upsert' || open.length === 0) this.waiting.delete(table)
    if (open.length === 0) return
    const near = new Map<number, string>()
    if (!waiting.nearChecked) {
      waiting.nearChecked = true
      const unnamed = names.filter((c) => !this.wanted.some((w) => w.column && w.table.matches(table) && w.column.matches(c)))
      for (const i of open) {
        const column = this.wanted[i]!.column!
        const close = isGlob(column) ? undefined : unnamed.find((c) => nearMiss(column.text, c))
        if (close !== undefined) near.set(i, close)
      }
    }
    const suspects = open.filter((i) => near.has(i) || (message.op === 'upsert' && !this.wanted[i]!.optional))
    if (suspects.length > 0) return this.fromDestination(suspects, table, [...names, ...declared], near)
  }

  /** The last word on suspect columns: the destination may have them (sparse rows seen by an earlier sync). */
  private async fromDestination(suspects: number[], table: string, candidates: string[], near: ReadonlyMap<number, string>): Promise<void> {
    const columns = (await this.destination()).find((t) => t.table === table)?.columns.map((c) => c.source) ?? []
    const missing = suspects.find((i) => !this.columnFound(i, table, columns))
    if (missing === undefined) return
    const close = near.get(missing)
    const why = close !== undefined ? `, whose batch has ${JSON.stringify(close)}` : ' (looked in its first batch, its declared columns and the destination)'
    throw this.noColumn(missing, table, `matches no column of table ${JSON.stringify(table)}${why}`, close !== undefined ? [close] : [...candidates, ...columns])
  }

  private columnFound(i: number, table: string, names: readonly string[]): boolean {
    const column = this.wanted[i]!.column!
    if (names.some((c) => column.matches(c))) return true
    return this.options.blockedIsFound && !isGlob(column) && this.context.selection?.column(table, column.text) === false
  }

  private blocked(i: number): boolean {
    return this.options.blockedIsFound && this.context.selection?.table(this.wanted[i]!.table.text) === false
  }

  private async destination() {
    return this.context.describeDestination ? await this.context.describeDestination() : []
  }

  private noTable(i: number, why: string, candidates: readonly string[]): SluiceError {
    const w = this.wanted[i]!
    return this.refuse(w, `names table ${JSON.stringify(w.table.text)}, ${why}`, w.table.text, candidates, { table: w.table.text }, 'tables')
  }

  private noColumn(i: number, table: string, why: string, candidates: readonly string[]): SluiceError {
    const w = this.wanted[i]!
    return this.refuse(w, why, w.column!.text, candidates, { table, column: w.column!.text }, 'columns')
  }

  private refuse(w: WantedName, what: string, text: string, candidates: readonly string[], context: Record<string, unknown>, kind: string): SluiceError {
    const suggestions = nearNames(text, candidates)
    const hint = suggestions.length > 0 ? `did you mean ${suggestions.map((s) => JSON.stringify(s)).join(' or ')}?` : candidates.length > 0 ? `known ${kind}: ${[...new Set(candidates)].slice(0, 20).join(', ')}.` : ''
    return new SluiceError({
      code: 'CONFIG_INVALID',
      message: `${w.label} ${what}${hint ? `; ${hint}` : '.'} Fix the name: a name that matches nothing is never applied, so ${w.consequence}.`,
      context: { name: w.label, ...context, suggestions },
    })
  }
}

/** Lower snake case, without glob characters: the form names are compared in for typos. */
const comparable = (name: string) => normalizeName(name.replace(/[*?]/g, ''))

/** True when `name` and `other` differ by a typo: one edit for names under 8 characters, two from 8; never for names under 4. */
export function nearMiss(name: string, other: string): boolean {
  if (name === other) return false
  const a = comparable(name)
  const b = comparable(other)
  if (a === b) return true
  if (Math.min(a.length, b.length) < 4) return false
  const limit = Math.max(a.length, b.length) >= 8 ? 2 : 1
  return editDistance(a, b, limit) <= limit
}

/** Up to three of `candidates` close to `name` (a third of its length in edits, at least two, or a prefix either way), nearest first. */
export function nearNames(name: string, candidates: readonly string[]): string[] {
  const a = comparable(name)
  const limit = Math.max(2, Math.floor(a.length / 3))
  const scored: [string, number][] = []
  for (const candidate of new Set(candidates)) {
    const b = comparable(candidate)
    const d = editDistance(a, b, limit)
    if (d <= limit) scored.push([candidate, d])
    else if (Math.min(a.length, b.length) >= 3 && (a.startsWith(b) || b.startsWith(a))) scored.push([candidate, limit + 1])
  }
  return scored.sort((x, y) => x[1] - y[1]).slice(0, 3).map(([c]) => c)
}

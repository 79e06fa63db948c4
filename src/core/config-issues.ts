import { SluiceError } from './sluice-error.js'

/**
 * Collects what is wrong with one option object, then throws one `CONFIG_INVALID` listing every
 * issue as `where.path: problem` (context `{ option, issues }`), in the words `decodeConfig` gives
 * (`Expected a non empty string, actual ""`, `is missing`, `is unexpected, expected: "table" | "mode"`).
 *
 * Internal option objects (table declarations, database table options) are checked with this, not
 * with effect/Schema: factories must throw synchronously, and loading effect took 0.6–1.2 s of a
 * cold start on the bench VM (README, cold-start) — more than the whole budget of a serverless start.
 */
export class ConfigIssues {
  readonly #where: string
  readonly #lines: string[] = []

  constructor(where: string) {
    this.#where = where
  }

  /** Records a problem at `path` (dot-separated below `where`; `''` is `where` itself). */
  add(path: string, problem: string): void {
    this.#lines.push(`${path ? `${this.#where}.${path}` : this.#where}: ${problem}`)
  }

  /** Records `Expected <expected>, actual <value>` at `path`. */
  expected(path: string, expected: string, actual: unknown): void {
    this.add(path, `Expected ${expected}, actual ${formatActual(actual)}`)
  }

  /** Records every own key of `object` outside `allowed`, as effect/Schema did with `onExcessProperty: 'error'`. */
  unexpectedKeys(object: object, allowed: readonly string[], path = ''): void {
    for (const key of Object.keys(object)) {
      if (!allowed.includes(key)) this.add(path ? `${path}.${key}` : key, `is unexpected, expected: ${allowed.map((k) => JSON.stringify(k)).join(' | ')}`)
    }
  }

  /**
   * Checks that `value` at `path` is a string, non-empty, and (with `trimmed`) without leading or
   * trailing whitespace; `undefined` is `is missing` unless `optional`. True when it is usable.
   */
  string(value: unknown, path: string, rules: { readonly optional?: boolean; readonly trimmed?: boolean } = {}): value is string {
    if (value === undefined) {
      if (!rules.optional) this.add(path, 'is missing')
      return false
    }
    if (typeof value !== 'string') this.expected(path, 'string', value)
    else if (value === '') this.expected(path, 'a non empty string', value)
    else if (rules.trimmed && value.trim() !== value) this.expected(path, 'a string with no leading or trailing whitespace', value)
    else return true
    return false
  }

  /** Checks an array of non-empty strings (each element reported at `path.i`). */
  names(value: unknown, path: string, expected: string): value is readonly string[] {
    if (!Array.isArray(value)) {
      this.expected(path, expected, value)
      return false
    }
    const before = this.#lines.length
    value.forEach((v, i) => this.string(v, `${path}.${i}`))
    return this.#lines.length === before
  }

  /** Records `Expected <expected>, actual <value>` at `where` itself and throws: the value can't be checked further. */
  fail(expected: string, actual: unknown): never {
    this.expected('', expected, actual)
    return this.#throw()
  }

  /** Throws the collected issues as one `CONFIG_INVALID`, if there are any. */
  throwIfAny(): void {
    if (this.#lines.length > 0) this.#throw()
  }

  #throw(): never {
    throw new SluiceError({ code: 'CONFIG_INVALID', message: this.#lines.join('; '), context: { option: this.#where, issues: [...this.#lines] } })
  }
}

/** A plain object: not null, not an array (a record or a struct of options). */
export function isRecord(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

const MAX_ACTUAL = 200 // characters of the offending value quoted in a message

/**
 * The offending value as a message quotes it: strings in JSON quotes, arrays and objects in compact
 * JSON-like form (a class instance as `Name({…})`), cut at 200 characters.
 */
export function formatActual(value: unknown): string {
  const text = format(value, new WeakSet())
  return text.length > MAX_ACTUAL ? `${text.slice(0, MAX_ACTUAL)}…` : text
}

function format(value: unknown, seen: WeakSet<object>): string {
  if (typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'bigint') return `${value}n`
  if (typeof value === 'function') return `[function ${value.name || 'anonymous'}]`
  if (typeof value !== 'object' || value === null) return String(value)
  if (seen.has(value)) return '[Circular]'
  seen.add(value)
  if (Array.isArray(value)) return `[${value.map((v) => format(v, seen)).join(',')}]`
  if (value instanceof Date) return `Date(${Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString()})`
  const body = `{${Object.keys(value).map((k) => `${JSON.stringify(k)}:${format((value as Record<string, unknown>)[k], seen)}`).join(',')}}`
  const name = (value as { constructor?: { name?: unknown } }).constructor?.name
  return typeof name === 'string' && name !== '' && name !== 'Object' ? `${name}(${body})` : body
}

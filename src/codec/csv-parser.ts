import { SluiceError } from '../core/sluice-error.js'

/** A CSV record: one field per column; `null` for an empty unquoted field, `''` for a quoted empty one. */
export type CsvRecord = (string | null)[]

const QUOTE = 34
const CR = 13
const LF = 10

/**
 * An incremental RFC 4180 CSV parser: feed it text in chunks of any size (a chunk may end inside
 * a quoted field, between a CR and its LF, anywhere) and it returns the records completed so far.
 * Fields may be quoted, with `""` for a quote and commas, CR and LF inside; records end with CRLF,
 * LF or CR; a leading byte order mark is dropped. An empty unquoted field reads as `null` and a
 * quoted empty one as `''`, so NULL and the empty string stay apart. A quote inside an unquoted
 * field, text after a closing quote, or a quoted field still open at the end throws
 * `FILE_PARSE` with the line number: past such an error record boundaries can't be trusted.
 *
 * @example
 * ```ts
 * import { CsvParser } from './csv-parser.js'
 * const p = new CsvParser()
 * p.push('id,note\r\n1,"a, ""b""\nc"\r\n2,') // [['id', 'note'], ['1', 'a, "b"\nc']]
 * p.end() // [['2', null]]
 * ```
 */
export class CsvParser {
  readonly #delimiter: number
  #record: CsvRecord = []
  #field = ''
  /** 0 field start, 1 unquoted, 2 quoted, 3 quote seen inside quotes, 4 after CR. */
  #state = 0
  #line = 1
  #recordLine = 1
  #quoteLine = 1
  #started = false

  constructor(options: { readonly delimiter?: string } = {}) {
    const delimiter = options.delimiter ?? ','
    if (delimiter.length !== 1 || delimiter === '"' || delimiter === '\r' || delimiter === '\n') {
      throw new SluiceError({ code: 'CONFIG_INVALID', message: `csv delimiter must be one character other than a quote, CR or LF, got ${JSON.stringify(delimiter)}` })
    }
    this.#delimiter = delimiter.charCodeAt(0)
  }

  /** The line the parser has reached (1-based), for error messages. */
  get line(): number {
    return this.#line
  }

  /** Parses `text`, returning the records it completes; `lines`, when given, receives the line each record starts on. */
  push(text: string, lines?: number[]): CsvRecord[] {
    const out: CsvRecord[] = []
    let i = 0
    if (!this.#started && text.length > 0) {
      this.#started = true
      if (text.charCodeAt(0) === 0xfeff) i = 1
    }
    const n = text.length
    const d = this.#delimiter
    while (i < n) {
      const state = this.#state
      if (state === 2) {
        // Inside quotes: copy up to the next quote in one slice.
        const q = text.indexOf('"', i)
        const end = q === -1 ? n : q
        const chunk = text.slice(i, end)
        this.#line += countNewlines(chunk)
        this.#field += chunk
        if (q === -1) return out
        this.#state = 3
        i = q + 1
        continue
      }
      const c = text.charCodeAt(i)
      if (state === 4) {
        this.#state = 0
        if (c === LF) {
          i++
          continue
        }
      }
      if (state === 3) {
        if (c === QUOTE) {
          this.#field += '"'
          this.#state = 2
          i++
          continue
        }
        if (c !== d && c !== CR && c !== LF) throw this.#error(`unexpected ${JSON.stringify(text[i])} after a closing quote`)
        // The quoted field ended: fall through to the delimiter / newline handling below.
        this.#state = 1
      }
      if (this.#state === 0 && c === QUOTE) {
        this.#state = 2
        this.#quoteLine = this.#line
        i++
        continue
      }
      if (c === d) {
        this.#endField()
        i++
        continue
      }
      if (c === CR || c === LF) {
        this.#endField()
        out.push(this.#record)
        lines?.push(this.#recordLine)
        this.#record = []
        this.#line++
        this.#recordLine = this.#line
        this.#state = c === CR ? 4 : 0
        i++
        continue
      }
      // Unquoted field: copy up to the next delimiter, quote or newline in one slice.
      let j = i
      while (j < n) {
        const x = text.charCodeAt(j)
        if (x === d || x === CR || x === LF || x === QUOTE) break
        j++
      }
      if (j < n && text.charCodeAt(j) === QUOTE) throw this.#error('a quote inside an unquoted field (quote the whole field and double the quote)')
      this.#field += text.slice(i, j)
      this.#state = 1
      i = j
    }
    return out
  }

  /** Ends the input: returns the last record if the text did not end with a newline. */
  end(lines?: number[]): CsvRecord[] {
    if (this.#state === 2) throw this.#error(`the quoted field opened on line ${this.#quoteLine} is not closed before the end of the file`, this.#quoteLine)
    if (this.#state === 0 && this.#field === '' && this.#record.length === 0) return []
    if (this.#state === 4) return []
    this.#endField()
    const last = this.#record
    lines?.push(this.#recordLine)
    this.#record = []
    this.#state = 0
    return [last]
  }

  #endField(): void {
    // state 1 with an empty field can only come from a quoted "" (an unquoted empty field stays in state 0).
    this.#record.push(this.#state === 0 ? null : this.#field)
    this.#field = ''
    this.#state = 0
  }

  #error(what: string, line = this.#line): SluiceError {
    return new SluiceError({ code: 'FILE_PARSE', message: `CSV line ${line}: ${what}`, context: { line } })
  }
}

function countNewlines(text: string): number {
  let count = 0
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) count++
  return count
}

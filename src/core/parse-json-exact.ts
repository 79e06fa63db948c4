/** A run of 16 digits: the only way a JSON integer can exceed 2^53 and lose digits in `JSON.parse`. */
const LONG_DIGITS = /\d{16}/

/**
 * `JSON.parse` that keeps integers beyond 2^53 exact, as bigints (a JSON number like
 * 12345678901234567890 would silently become 12345678901234567000). Text without a run of 16
 * digits takes `JSON.parse` itself; the rest goes through a small exact parser. Throws a
 * `SyntaxError` for invalid JSON, like `JSON.parse`.
 *
 * @example
 * ```ts
 * import { parseJsonExact } from './parse-json-exact.js'
 * parseJsonExact('{"id":9007199254740993}') // { id: 9007199254740993n }
 * ```
 */
export function parseJsonExact(text: string): unknown {
  if (!LONG_DIGITS.test(text)) return JSON.parse(text)
  const parser = new ExactParser(text)
  const value = parser.value()
  parser.end()
  return value
}

class ExactParser {
  #i = 0
  constructor(private readonly text: string) {}

  value(): unknown {
    this.#space()
    const c = this.text[this.#i]
    if (c === '{') return this.#object()
    if (c === '[') return this.#array()
    if (c === '"') return this.#string()
    if (c === 't') return this.#literal('true', true)
    if (c === 'f') return this.#literal('false', false)
    if (c === 'n') return this.#literal('null', null)
    return this.#number()
  }

  end(): void {
    this.#space()
    if (this.#i !== this.text.length) this.#fail()
  }

  #object(): Record<string, unknown> {
    const out: Record<string, unknown> = {}
    this.#i++
    this.#space()
    if (this.text[this.#i] === '}') {
      this.#i++
      return out
    }
    for (;;) {
      this.#space()
      if (this.text[this.#i] !== '"') this.#fail()
      const key = this.#string()
      this.#space()
      if (this.text[this.#i++] !== ':') this.#fail()
      const value = this.value()
      // As JSON.parse does: "__proto__" is an own key, not the object's prototype.
      if (key === '__proto__') Object.defineProperty(out, key, { value, writable: true, enumerable: true, configurable: true })
      else out[key] = value
      this.#space()
      const c = this.text[this.#i++]
      if (c === '}') return out
      if (c !== ',') this.#fail()
    }
  }

  #array(): unknown[] {
    const out: unknown[] = []
    this.#i++
    this.#space()
    if (this.text[this.#i] === ']') {
      this.#i++
      return out
    }
    for (;;) {
      out.push(this.value())
      this.#space()
      const c = this.text[this.#i++]
      if (c === ']') return out
      if (c !== ',') this.#fail()
    }
  }

  #string(): string {
    // Find the closing quote (skipping escapes), then let JSON.parse decode the escapes.
    const start = this.#i
    let j = start + 1
    for (;;) {
      const c = this.text.charCodeAt(j)
      if (Number.isNaN(c)) this.#fail()
      if (c === 92) j += 2
      else if (c === 34) break
      else j++
    }
    this.#i = j + 1
    return JSON.parse(this.text.slice(start, j + 1)) as string
  }

  #number(): number | bigint {
    const m = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?/y
    m.lastIndex = this.#i
    const found = m.exec(this.text)
    if (!found) this.#fail()
    const text = found[0]
    this.#i += text.length
    if (found[1] === undefined && found[2] === undefined) {
      const n = Number(text)
      return Number.isSafeInteger(n) ? n : BigInt(text)
    }
    return Number(text)
  }

  #literal<T>(word: string, value: T): T {
    if (!this.text.startsWith(word, this.#i)) this.#fail()
    this.#i += word.length
    return value
  }

  #space(): void {
    while (this.#i < this.text.length) {
      const c = this.text.charCodeAt(this.#i)
      if (c !== 32 && c !== 9 && c !== 10 && c !== 13) return
      this.#i++
    }
  }

  #fail(): never {
    throw new SyntaxError(`invalid JSON at position ${this.#i}`)
  }
}

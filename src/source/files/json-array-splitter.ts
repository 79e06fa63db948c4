import { SluiceError } from '../../core/sluice-error.js'

/**
 * Splits a JSON array arriving in chunks into the text of its elements, so that a file of any
 * size is parsed one element at a time (bounded memory). Tracks only nesting, strings and
 * escapes; each element's text is then parsed on its own. A top-level object (not an array) is
 * one element. Throws `FILE_PARSE` when the text is not an array of values.
 *
 * @example
 * ```ts
 * import { JsonArraySplitter } from './json-array-splitter.js'
 * const s = new JsonArraySplitter()
 * s.push('[{"a":1},{"a":') // ['{"a":1}']
 * s.push('"]"}]') // ['{"a":"]"}']
 * s.end()
 * ```
 */
export class JsonArraySplitter {
  /** 0 before the array, 1 between elements, 2 in an element, 3 after the array (or after a lone object). */
  #state = 0
  #depth = 0
  #inString = false
  #escaped = false
  #element = ''
  #single = false
  #offset = 0

  push(text: string): string[] {
    const out: string[] = []
    let start = 0
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i)
      if (this.#state === 2) {
        if (this.#inString) {
          if (this.#escaped) this.#escaped = false
          else if (c === 92) this.#escaped = true
          else if (c === 34) this.#inString = false
          continue
        }
        if (c === 34) this.#inString = true
        else if (c === 123 || c === 91) this.#depth++
        else if (c === 125 || c === 93) {
          if (this.#depth === 0) {
            // The array's closing bracket ends the last element.
            this.#emit(out, text.slice(start, i))
            this.#state = 3
            continue
          }
          this.#depth--
          if (this.#depth === 0 && this.#single) {
            this.#emit(out, text.slice(start, i + 1))
            this.#state = 3
          }
        } else if (c === 44 && this.#depth === 0 && !this.#single) {
          this.#emit(out, text.slice(start, i))
          this.#state = 1
        }
        continue
      }
      if (c === 32 || c === 9 || c === 10 || c === 13 || c === 0xfeff) continue
      if (this.#state === 0) {
        if (c === 91) this.#state = 1
        else if (c === 123) {
          this.#single = true
          this.#state = 2
          this.#depth = 1
          start = i
        } else this.#fail(i, 'a JSON file must hold an array of objects')
      } else if (this.#state === 1) {
        if (c === 93 && this.#element === '') this.#state = 3
        else {
          this.#state = 2
          start = i
          i-- // re-read the first character as part of the element
        }
      } else this.#fail(i, 'text after the end of the array')
    }
    if (this.#state === 2) this.#element += text.slice(start)
    this.#offset += text.length
    return out
  }

  /** Checks the array was closed. */
  end(): void {
    if (this.#state !== 3) this.#fail(0, 'the array is not closed before the end of the file')
  }

  #emit(out: string[], tail: string): void {
    const element = (this.#element + tail).trim()
    this.#element = ''
    if (element === '') this.#fail(0, 'an empty element (two commas, or a comma before "]")')
    out.push(element)
  }

  #fail(i: number, what: string): never {
    throw new SluiceError({ code: 'FILE_PARSE', message: `JSON at character ${this.#offset + i}: ${what}`, context: { position: this.#offset + i } })
  }
}

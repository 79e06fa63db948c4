import stableStringify from 'fast-json-stable-stringify'
import type { Column } from '../core/batch.js'
import { baseType } from '../core/column-type.js'
import { naiveText, utcText } from '../core/temporal.js'

/**
 * The text a value is hashed as, so that equal values hash alike whatever source, run or sink
 * they come through: STRING as is; integers and floats via `String()` (`1` and `1.0` → `'1'`,
 * LONG exactly); BOOLEAN `'true'`/`'false'`; DECIMAL without leading or trailing zeros (`'012.50'`
 * → `'12.5'`); UTC_DATETIME as `YYYY-MM-DDTHH:MM:SS[.ffffff]Z` with trailing fraction zeros cut,
 * NAIVE_DATETIME the same without `Z`, NAIVE_DATE as `YYYY-MM-DD`; JSON stable-stringified (key
 * order does not matter). BINARY is hashed as its raw bytes. NULL slots hold `''` (never hashed).
 */
export function canonicalTexts(column: Column, length: number): string[] | Uint8Array[] {
  const values = column.values
  switch (baseType(column.type)) {
    case 'STRING':
    case 'NAIVE_DATE':
      return values as string[]
    case 'BINARY':
      return values as Uint8Array[]
    case 'BOOLEAN':
      return map(length, (i) => ((values as Uint8Array)[i] ? 'true' : 'false'))
    case 'JSON':
      return mapText(values as string[], (s) => stableStringify(JSON.parse(s)))
    case 'DECIMAL':
      return mapText(values as string[], canonicalDecimal)
    case 'UTC_DATETIME':
      return mapText(values as string[], (s) => utcText(s) ?? s)
    case 'NAIVE_DATETIME':
      return mapText(values as string[], (s) => naiveText(s, '') ?? s) // exact for every year, not via a micros number
    default: // SHORT, INT, LONG, FLOAT, DOUBLE: typed arrays
      return map(length, (i) => String((values as ArrayLike<number | bigint>)[i]))
  }
}

function map(length: number, fn: (i: number) => string): string[] {
  const out = new Array<string>(length)
  for (let i = 0; i < length; i++) out[i] = fn(i)
  return out
}

function mapText(values: readonly string[], fn: (s: string) => string): string[] {
  return values.map((s) => (s === '' ? '' : fn(s)))
}

/** `'-007.50'` → `'-7.5'`, `'+0.0'` → `'0'`: the decimal's value as the shortest exact text. */
export function canonicalDecimal(text: string): string {
  const m = /^([-+]?)(\d*)(?:\.(\d*))?$/.exec(text.trim())
  if (!m) return text
  const integer = m[2]!.replace(/^0+(?=\d)/, '') || '0'
  const fraction = (m[3] ?? '').replace(/0+$/, '')
  const body = fraction ? `${integer}.${fraction}` : integer
  return m[1] === '-' && body !== '0' ? `-${body}` : body
}

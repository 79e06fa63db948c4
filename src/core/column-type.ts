import { SluiceError } from './sluice-error.js'

/**
 * Column types, with Fivetran's names. `DECIMAL(p,s)` carries precision and scale;
 * a bare `'DECIMAL'` means `DECIMAL(38,10)`.
 *
 * @example
 * ```ts
 * import type { ColumnType } from 'sluice'
 * const amount: ColumnType = 'DECIMAL(12,2)'
 * ```
 */
export type ColumnType =
  | 'BOOLEAN'
  | 'SHORT'
  | 'INT'
  | 'LONG'
  | 'DECIMAL'
  | `DECIMAL(${number},${number})`
  | 'FLOAT'
  | 'DOUBLE'
  | 'NAIVE_DATE'
  | 'NAIVE_DATETIME'
  | 'UTC_DATETIME'
  | 'BINARY'
  | 'STRING'
  | 'JSON'

/** The type without DECIMAL's parameters: what storage and conversion switch on. */
export type BaseType =
  | 'BOOLEAN'
  | 'SHORT'
  | 'INT'
  | 'LONG'
  | 'DECIMAL'
  | 'FLOAT'
  | 'DOUBLE'
  | 'NAIVE_DATE'
  | 'NAIVE_DATETIME'
  | 'UTC_DATETIME'
  | 'BINARY'
  | 'STRING'
  | 'JSON'

const BASE_TYPES: ReadonlySet<string> = new Set<BaseType>([
  'BOOLEAN', 'SHORT', 'INT', 'LONG', 'DECIMAL', 'FLOAT', 'DOUBLE',
  'NAIVE_DATE', 'NAIVE_DATETIME', 'UTC_DATETIME', 'BINARY', 'STRING', 'JSON',
])

const DECIMAL_RE = /^DECIMAL\s*\(\s*(\d+)\s*,\s*(\d+)\s*\)$/

/** Precision and scale of a DECIMAL type (38,10 when not given). */
export function decimalParams(type: ColumnType): { precision: number; scale: number } {
  const m = DECIMAL_RE.exec(type)
  return m ? { precision: Number(m[1]), scale: Number(m[2]) } : { precision: 38, scale: 10 }
}

/** The base type of a column type (`'DECIMAL(10,2)'` → `'DECIMAL'`). */
export function baseType(type: ColumnType): BaseType {
  return (type.startsWith('DECIMAL') ? 'DECIMAL' : type) as BaseType
}

/**
 * Checks a type name from user input; throws `CONFIG_INVALID` naming `where` when it is unknown.
 * Accepts lower case and spaces (`'decimal(10, 2)'`) and returns the canonical spelling.
 */
export function parseColumnType(value: unknown, where: string): ColumnType {
  if (typeof value === 'string') {
    const upper = value.trim().toUpperCase()
    if (BASE_TYPES.has(upper)) return upper as ColumnType
    const m = DECIMAL_RE.exec(upper)
    if (m) {
      const precision = Number(m[1])
      const scale = Number(m[2])
      if (precision >= 1 && precision <= 38 && scale <= precision) return `DECIMAL(${precision},${scale})`
    }
  }
  throw new SluiceError({
    code: 'CONFIG_INVALID',
    message: `${where}: unknown column type ${JSON.stringify(value)}; use one of ${[...BASE_TYPES].join(', ')} or DECIMAL(p,s) with 1 ≤ p ≤ 38, s ≤ p`,
    context: { where },
  })
}

/**
 * Lossless widening order used by inference and schema drift:
 * BOOLEAN < SHORT < INT < LONG < DOUBLE < STRING (FLOAT widens to DOUBLE; DECIMAL and dates to STRING).
 */
export function widenType(a: ColumnType, b: ColumnType): ColumnType {
  if (a === b) return a
  const ba = baseType(a)
  const bb = baseType(b)
  if (ba === 'DECIMAL' && bb === 'DECIMAL') {
    const pa = decimalParams(a)
    const pb = decimalParams(b)
    const scale = Math.max(pa.scale, pb.scale)
    const integer = Math.max(pa.precision - pa.scale, pb.precision - pb.scale)
    return integer + scale <= 38 ? `DECIMAL(${integer + scale},${scale})` : 'STRING'
  }
  const ra = NUMERIC_RANK[ba]
  const rb = NUMERIC_RANK[bb]
  if (ra !== undefined && rb !== undefined) return ra >= rb ? (ba as ColumnType) : (bb as ColumnType)
  if ((ba === 'NAIVE_DATE' && bb === 'NAIVE_DATETIME') || (bb === 'NAIVE_DATE' && ba === 'NAIVE_DATETIME')) return 'NAIVE_DATETIME'
  if ((ba === 'JSON' && bb !== 'STRING') || (bb === 'JSON' && ba !== 'STRING')) return 'JSON'
  return 'STRING'
}

const NUMERIC_RANK: Partial<Record<BaseType, number>> = { BOOLEAN: 0, SHORT: 1, INT: 2, LONG: 3, FLOAT: 4, DOUBLE: 5 }

/** True when values of `from` can be stored in `to` without losing anything. */
export function isWidening(from: ColumnType, to: ColumnType): boolean {
  return widenType(from, to) === to
}

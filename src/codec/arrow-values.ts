import type { Data, Table } from 'apache-arrow'
import { baseType, decimalParams, type ColumnType } from '../core/column-type.js'
import { parseJsonExact } from '../core/parse-json-exact.js'
import { formatMicros } from '../core/temporal.js'
import { formatEpochMicros } from './epoch-micros.js'

const decoder = new TextDecoder()
const MAX_SAFE = 9007199254740991n

/**
 * The values of an Arrow column (Arrow IPC or Parquet read back as Arrow) as the JS view of its
 * sluice `type` — what `valueAt` gives for a batch: read from the raw buffers, so microseconds,
 * DECIMAL digits and 64-bit integers survive (the stock getters round the first two).
 *
 * @example
 * ```ts
 * import { tableFromIPC } from 'apache-arrow'
 * import { arrowColumnValues } from './arrow-values.js'
 * declare const bytes: Uint8Array
 * const ids = arrowColumnValues(tableFromIPC(bytes), 'id', 'LONG')
 * ```
 */
export function arrowColumnValues(table: Table, name: string, type: ColumnType): unknown[] {
  const vector = table.getChild(name)
  const out = new Array<unknown>(table.numRows).fill(null)
  if (!vector) return out
  let at = 0
  for (const data of vector.data) {
    const read = reader(data as Data, type)
    for (let i = 0; i < data.length; i++) out[at + i] = data.getValid(i) ? read(i) : null
    at += data.length
  }
  return out
}

function reader(data: Data, type: ColumnType): (i: number) => unknown {
  const o = data.offset
  const values = data.values as ArrayLike<number | bigint> & { [i: number]: number | bigint }
  switch (baseType(type)) {
    case 'BOOLEAN':
      return (i) => ((data.values[(o + i) >> 3]! >> ((o + i) & 7)) & 1) === 1
    case 'SHORT':
    case 'INT':
    case 'FLOAT':
    case 'DOUBLE':
      return (i) => Number(values[o + i])
    case 'LONG':
      return (i) => {
        const v = BigInt(values[o + i]!)
        return v >= -MAX_SAFE && v <= MAX_SAFE ? Number(v) : v
      }
    case 'UTC_DATETIME':
      return (i) => formatEpochMicros(BigInt(values[o + i]!), 'Z')
    case 'NAIVE_DATETIME':
      return (i) => formatEpochMicros(BigInt(values[o + i]!), '')
    case 'NAIVE_DATE':
      return (i) => formatMicros(Number(values[o + i]) * 86_400_000_000, '').slice(0, 10)
    case 'DECIMAL': {
      const { scale } = decimalParams(type)
      const words = data.values as Uint32Array
      return (i) => {
        let v = 0n
        for (let w = 3; w >= 0; w--) v = (v << 32n) | BigInt(words[(o + i) * 4 + w]!)
        return decimalText(BigInt.asIntN(128, v), scale)
      }
    }
    case 'BINARY':
      return (i) => bytesAt(data, o + i).slice()
    case 'JSON':
      return (i) => parseJsonExact(decoder.decode(bytesAt(data, o + i))) // JSON.parse would round numbers beyond a double
    default:
      return (i) => decoder.decode(bytesAt(data, o + i))
  }
}

function bytesAt(data: Data, i: number): Uint8Array {
  const offsets = data.valueOffsets as ArrayLike<number | bigint>
  return (data.values as Uint8Array).subarray(Number(offsets[i]), Number(offsets[i + 1]))
}

/** `value × 10^-scale` as exact decimal text (`123456789n`, 4 → `'12345.6789'`). */
export function decimalText(value: bigint, scale: number): string {
  const negative = value < 0n
  const digits = (negative ? -value : value).toString().padStart(scale + 1, '0')
  const text = scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`
  return negative ? `-${text}` : text
}

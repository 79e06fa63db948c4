import { RecordBatch, Table, tableToIPC } from 'apache-arrow'
import { open, rename, rm, type FileHandle } from 'node:fs/promises'
import type { Batch } from '../../core/batch.js'
import { toArrow } from '../../core/batch-to-arrow.js'
import type { ColumnType } from '../../core/column-type.js'
import { exactMicros } from '../../codec/epoch-micros.js'
import { csvHeader, csvLines, ndjsonLines } from './text-lines.js'
import { writeParquet } from './write-parquet.js'

/** File formats of the files sink. */
export type FileFormat = 'parquet' | 'arrow' | 'ndjson' | 'csv'

/** File name extension of each format. */
export const EXTENSIONS: Readonly<Record<FileFormat, string>> = { parquet: 'parquet', arrow: 'arrow', ndjson: 'ndjson', csv: 'csv' }

/**
 * One data file being written: rows go in as batches of one schema, the file is written to
 * `<path>.tmp` and becomes visible under `path` only when finished (fsynced, then renamed).
 */
export interface PartWriter {
  readonly path: string
  readonly rows: number
  /** Bytes written so far (text formats) or held for the file (Arrow and Parquet, uncompressed). */
  readonly bytes: number
  append(batch: Batch): Promise<void>
  /** Writes what is held, fsyncs, closes and renames the file into place; resolves to its size in bytes. */
  finish(): Promise<number>
  /** Drops the unfinished file. */
  abort(): Promise<void>
}

/** Starts a data file at `path` (absolute) in `format`, for batches with these columns. */
export async function startPart(path: string, format: FileFormat, columns: readonly { name: string; type: ColumnType }[]): Promise<PartWriter> {
  if (format === 'ndjson' || format === 'csv') return TextPart.start(path, format, columns.map((c) => c.name))
  return new ArrowPart(path, format === 'parquet' ? Object.fromEntries(columns.map((c) => [c.name, c.type])) : undefined)
}

/** NDJSON and CSV: rows are written to the temp file as they come, so memory stays one batch. */
class TextPart implements PartWriter {
  rows = 0
  bytes = 0

  private constructor(
    readonly path: string,
    readonly format: 'ndjson' | 'csv',
    private readonly handle: FileHandle,
  ) {}

  static async start(path: string, format: 'ndjson' | 'csv', names: readonly string[]): Promise<TextPart> {
    const part = new TextPart(path, format, await open(`${path}.tmp`, 'w'))
    if (format === 'csv') await part.write(csvHeader(names))
    return part
  }

  async append(batch: Batch): Promise<void> {
    await this.write(this.format === 'csv' ? csvLines(batch) : ndjsonLines(batch))
    this.rows += batch.length
  }

  async finish(): Promise<number> {
    await this.handle.sync()
    await this.handle.close()
    await rename(`${this.path}.tmp`, this.path)
    return this.bytes
  }

  async abort(): Promise<void> {
    await this.handle.close().catch(() => undefined)
    await rm(`${this.path}.tmp`, { force: true })
  }

  private async write(text: string): Promise<void> {
    const data = Buffer.from(text, 'utf8')
    await this.handle.write(data)
    this.bytes += data.byteLength
  }
}

/**
 * Arrow IPC and Parquet files hold one schema and end with a footer, so the record batches of a
 * file are held (as Arrow, built once per batch) and written when it finishes (Parquet with the
 * column types given, see `writeParquet`); rotation by bytes bounds that memory.
 */
class ArrowPart implements PartWriter {
  rows = 0
  bytes = 0
  readonly #batches: RecordBatch[] = []

  constructor(
    readonly path: string,
    private readonly parquetTypes: Readonly<Record<string, string>> | undefined,
  ) {}

  async append(batch: Batch): Promise<void> {
    const rb = exactTimestamps(toArrow(batch), batch)
    this.#batches.push(rb)
    this.rows += batch.length
    this.bytes += byteLength(rb)
  }

  async finish(): Promise<number> {
    const table = new Table(this.#batches)
    const data = this.parquetTypes ? await writeParquet(table, this.parquetTypes) : tableToIPC(table, 'file')
    this.#batches.length = 0
    const handle = await open(`${this.path}.tmp`, 'w')
    try {
      await handle.writeFile(data)
      await handle.sync()
    } finally {
      await handle.close()
    }
    await rename(`${this.path}.tmp`, this.path)
    return data.byteLength
  }

  async abort(): Promise<void> {
    this.#batches.length = 0
    await rm(`${this.path}.tmp`, { force: true })
  }
}

/**
 * `toArrow` computes timestamps through a double, exact within 2^53 µs (1685–2255): values
 * beyond (`0001-01-01`, the `9999-12-31` of open-ended rows) are recomputed exactly in place.
 * Finding them costs one integer comparison per value (the high word of each Int64).
 */
function exactTimestamps(rb: RecordBatch, batch: Batch): RecordBatch {
  batch.columns.forEach((column, c) => {
    const zoned = column.type === 'UTC_DATETIME'
    if (!zoned && column.type !== 'NAIVE_DATETIME') return
    const micros = rb.data.children[c]!.values as BigInt64Array
    const words = new Int32Array(micros.buffer, micros.byteOffset, micros.length * 2)
    const texts = column.values as string[]
    for (let i = 0; i < micros.length; i++) {
      const hi = words[2 * i + 1]!
      if (hi <= 0x1fffff && hi >= -0x200000) continue // |value| < 2^53: exact already
      const exact = texts[i] ? exactMicros(texts[i]!, zoned) : undefined
      if (exact !== undefined) micros[i] = exact
    }
  })
  return rb
}

function byteLength(rb: RecordBatch): number {
  let total = 0
  for (const child of rb.data.children) {
    for (const buffer of [child.values, child.valueOffsets, child.nullBitmap] as (ArrayBufferView | undefined)[]) total += buffer?.byteLength ?? 0
  }
  return total
}

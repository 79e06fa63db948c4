import { type Table, tableToIPC } from 'apache-arrow'
import { loadOptional } from '../../core/load-optional.js'

type ParquetWasm = typeof import('parquet-wasm')

let module: Promise<ParquetWasm> | undefined

/** parquet-wasm, an optional peer dependency, loaded once. */
function parquetWasm(): Promise<ParquetWasm> {
  module ??= loadOptional<ParquetWasm>('parquet-wasm', 'Parquet files (files({ format: "parquet" }))', () => import('parquet-wasm'))
  module.catch(() => (module = undefined))
  return module
}

/**
 * An Arrow table as a Parquet file, written by `parquet-wasm` (the Rust `parquet` crate compiled to
 * WebAssembly): Snappy, Parquet format version 2 pages (dictionary, RLE and delta encodings),
 * row groups of up to 1M rows, and `sluice.types` key-value metadata naming each column's sluice
 * type (so a reader can tell JSON from text; the Arrow schema with the same field metadata is
 * embedded too).
 *
 * Chosen over the pure-JS `hyparquet-writer` by measuring both on the files sink's own event
 * batches (the table's columns plus 4 system columns, 1M rows; bench/scenarios/duckdb-files.ts):
 * ~1.5× the rows/s (~300k against ~200k rows/s here) from the Arrow batches sluice builds anyway,
 * and with version-2 pages a ~40% smaller file (13.4 against 22.4 MB). On plain 7-column rows
 * hyparquet-writer was the faster of the two; the system columns (timestamps, booleans) are
 * where its per-value conversions cost. Loaded on first use: a sink writing NDJSON never
 * instantiates the WebAssembly module.
 */
export async function writeParquet(table: Table, types: Readonly<Record<string, string>>): Promise<Uint8Array> {
  const wasm = await parquetWasm()
  const properties = new wasm.WriterPropertiesBuilder()
    .setCompression(wasm.Compression.SNAPPY)
    .setWriterVersion(wasm.WriterVersion.V2)
    .setMaxRowGroupSize(1_000_000)
    .setCreatedBy('sluice')
    .setKeyValueMetadata(new Map([['sluice.types', JSON.stringify(types)]]))
    .build()
  // writeParquet takes ownership of (and frees) the wasm table and the properties.
  return wasm.writeParquet(wasm.Table.fromIPCStream(tableToIPC(table, 'stream')), properties)
}

/**
 * `sluice/files`: the files sink (a data lake of Parquet, Arrow IPC, NDJSON or CSV files) and the
 * file source (CSV, NDJSON, JSON, Parquet). A subpath entry so that `sluice` never loads the
 * Parquet libraries, which are themselves loaded on first use.
 *
 * @module sluice/files
 */
export { files, type FilesOptions } from './sink/files/files-sink.js'
export type { FileFormat } from './sink/files/part-writer.js'
export { fileSource, type FileSourceOptions } from './source/files/file-source.js'
export type { CsvOptions, SourceFormat } from './source/files/file-records.js'

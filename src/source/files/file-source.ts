import { basename, extname } from 'node:path'
import type { Row } from '../../core/batch.js'
import type { RecordError } from '../../core/error-record.js'
import { parseColumnType, type ColumnType } from '../../core/column-type.js'
import type { Message, State } from '../../core/message.js'
import { isSluiceError, SluiceError } from '../../core/sluice-error.js'
import { parseTableSpecs, type TableSpec, type WriteMode } from '../../core/table-spec.js'
import { op } from '../op.js'
import type { Source } from '../../contracts/source.js'
import { fileRecords, type CsvOptions, type SourceFormat } from './file-records.js'
import { compareFiles, listFiles, type ListedFile } from './list-files.js'
import { knownOptions } from '../../core/check-option.js'

/** Options of {@link fileSource}. */
export interface FileSourceOptions {
  /** A file, a directory (read recursively) or a glob such as `data/**\/*.csv`. */
  readonly path: string
  /** `csv`, `ndjson`, `json` (an array of objects) or `parquet`; default: from each file's extension. */
  readonly format?: SourceFormat
  /** Destination table: a name, or a function of the file path; default: the file name without its extension. */
  readonly table?: string | ((path: string) => string)
  readonly primaryKey?: readonly string[]
  /** Declared column types; other columns are inferred. */
  readonly columns?: Readonly<Record<string, ColumnType>>
  readonly mode?: WriteMode
  /** Rows per batch (default 10_000); a checkpoint follows each batch. */
  readonly batchSize?: number
  readonly csv?: CsvOptions
  /** Connector id, the key of its state (default `files:<path>`). */
  readonly id?: string
}

/** Progress through the files, as saved in the state: (modification time in ns, path) pairs. */
interface FilesState {
  /** The last file fully read. */
  after?: { mtimeNs: string; path: string }
  /** The file being read and how many of its records are done, when a sync stopped inside it. */
  current?: { mtimeNs: string; path: string; records: number }
}

const EXTENSIONS: Record<string, SourceFormat> = { '.csv': 'csv', '.tsv': 'csv', '.ndjson': 'ndjson', '.jsonl': 'ndjson', '.json': 'json', '.parquet': 'parquet' }

/**
 * Reads CSV, NDJSON, JSON arrays and Parquet files from a file, a directory or a glob,
 * incrementally: files are read in order of (modification time, path) and the state keeps the
 * last pair fully read, so the next sync reads only files added or modified since (a modified
 * file is read again: give a primary key to make that an update). Large files stream in bounded
 * memory (a 1 MiB read buffer plus one batch), with a checkpoint after each batch: a sync stopped
 * mid-file resumes after the last batch written. A file that can't be read — a broken CSV quote,
 * a truncated Parquet file, invalid UTF-8 — is recorded in `_sluice_errors` (kind `file`) and
 * skipped, rows read before the error are kept, and the other files still sync. In NDJSON and JSON
 * arrays a single broken line or element is recorded (kind `record`) and reading goes on.
 *
 * @example
 * ```ts
 * import { sqlite, sync } from 'sluice'
 * import { fileSource } from 'sluice/files'
 * await sync({
 *   source: fileSource({ path: 'exports/*.csv', table: 'orders', primaryKey: ['id'] }),
 *   destination: sqlite({ path: 'warehouse.db' }),
 * })
 * ```
 */
export function fileSource(options: FileSourceOptions): Source {
  knownOptions(options, { path: true, format: true, table: true, primaryKey: true, columns: true, mode: true, batchSize: true, csv: true, id: true }, 'fileSource')
  knownOptions(options?.csv, { delimiter: true, header: true, inferTypes: true }, 'fileSource.csv')
  const checked = check(options)
  const batchSize = checked.batchSize
  const keep = (path: string) => options.format !== undefined || EXTENSIONS[extname(path).toLowerCase()] !== undefined
  const tableOf = (path: string): string => {
    if (typeof options.table === 'string') return options.table
    if (typeof options.table === 'function') return options.table(path)
    const name = basename(path)
    const ext = extname(name)
    return ext ? name.slice(0, -ext.length) : name
  }
  const specOf = (table: string): TableSpec => ({
    table,
    ...(options.primaryKey ? { primaryKey: options.primaryKey } : {}),
    ...(checked.columns ? { columns: checked.columns } : {}),
    ...(options.mode ? { mode: options.mode } : {}),
  })
  return {
    id: options.id ?? `files:${options.path}`,
    async tables() {
      const names = typeof options.table === 'string' ? [options.table] : [...new Set((await listFiles(options.path, keep)).map((f) => tableOf(f.path)))]
      return parseTableSpecs(names.map(specOf), 'fileSource')
    },
    readAhead: true,
    async *read({ state, signal, recordError }): AsyncGenerator<Message> {
      const progress = readState(state)
      const files = (await listFiles(options.path, keep)).filter((f) => !progress.after || compareFiles(f, progress.after) > 0)
      for (const file of files) {
        if (signal.aborted) return
        const table = tableOf(file.path)
        const resume = progress.current?.path === file.path && progress.current.mtimeNs === file.mtimeNs ? progress.current.records : 0
        const format = options.format ?? EXTENSIONS[extname(file.path).toLowerCase()]!
        const after = { mtimeNs: file.mtimeNs, path: file.path }
        try {
          yield* readFile(file, table, format, resume, progress.after, signal, recordError)
        } catch (error) {
          if (signal.aborted) return
          // A missing optional package (hyparquet) is not a problem of this file: it fails the sync.
          if (isSluiceError(error) && error.code === 'CONFIG_INVALID') throw error
          recordError({
            kind: 'file', table, code: isSluiceError(error) ? error.code : 'FILE_READ', message: `${file.path}: ${(error as Error).message}`,
            context: { path: file.path, ...(isSluiceError(error) ? error.context : {}) },
          })
        }
        progress.after = after
        progress.current = undefined
        yield op.checkpoint({ after })
      }
    },
  }

  async function* readFile(
    file: ListedFile, table: string, format: SourceFormat, resume: number, after: FilesState['after'], signal: AbortSignal, recordError: RecordError,
  ): AsyncGenerator<Message> {
    let types: Record<string, ColumnType> | undefined = checked.columns
    let rows: Row[] = []
    let records = 0
    const flush = function* (): Generator<Message> {
      const message = op.upsert(table, rows)
      yield types ? message.withTypes(types) : message
      rows = []
      yield op.checkpoint({ ...(after ? { after } : {}), current: { mtimeNs: file.mtimeNs, path: file.path, records } })
    }
    // A .tsv file is tab-separated unless a delimiter is given.
    const csv = options.csv?.delimiter === undefined && extname(file.path).toLowerCase() === '.tsv' ? { ...options.csv, delimiter: '\t' } : (options.csv ?? {})
    for await (const item of fileRecords(file.path, format, signal, csv, checked.columns ?? {})) {
      if (item.kind === 'types') {
        types = { ...item.types, ...checked.columns }
        continue
      }
      // Records (good or bad) are counted so that a resumed sync skips exactly the ones already done.
      if (records++ < resume) continue
      if (item.kind === 'bad') {
        // One broken line or element: the records around it are fine, so it is recorded and skipped.
        recordError({
          kind: 'record', table, code: 'FILE_PARSE', message: `${file.path}: ${item.message}`,
          context: { path: file.path, line: item.line }, record: { text: item.text.length > 1000 ? `${item.text.slice(0, 1000)}…` : item.text },
        })
        continue
      }
      rows.push(item.row)
      if (rows.length >= batchSize) yield* flush()
    }
    if (rows.length > 0) yield* flush()
  }
}

function readState(state: State | undefined): FilesState {
  const out: FilesState = {}
  const after = state?.after as FilesState['after'] | undefined
  const current = state?.current as FilesState['current'] | undefined
  if (after && typeof after.mtimeNs === 'string' && typeof after.path === 'string') out.after = { mtimeNs: after.mtimeNs, path: after.path }
  if (current && typeof current.mtimeNs === 'string' && typeof current.path === 'string' && typeof current.records === 'number') out.current = { ...current }
  return out
}

function check(options: FileSourceOptions): { batchSize: number; columns?: Record<string, ColumnType> } {
  const fail = (message: string): never => {
    throw new SluiceError({ code: 'CONFIG_INVALID', message: `fileSource: ${message}` })
  }
  if (typeof options?.path !== 'string' || options.path.trim() === '') fail(`path must name a file, directory or glob, got ${JSON.stringify(options?.path)}`)
  if (options.format !== undefined && !['csv', 'ndjson', 'json', 'parquet'].includes(options.format)) {
    fail(`format must be csv, ndjson, json or parquet, got ${JSON.stringify(options.format)}`)
  }
  const batchSize = options.batchSize ?? 10_000
  if (!Number.isInteger(batchSize) || batchSize < 1) fail(`batchSize must be a positive integer, got ${String(batchSize)}`)
  if (options.table !== undefined && typeof options.table !== 'function' && (typeof options.table !== 'string' || options.table.trim() === '')) {
    fail(`table must be a non-empty string or a function of the file path, got ${JSON.stringify(options.table)}`)
  }
  let columns: Record<string, ColumnType> | undefined
  if (options.columns) {
    columns = {}
    for (const [name, type] of Object.entries(options.columns)) columns[name] = parseColumnType(type, `fileSource.columns.${name}`)
  }
  return { batchSize, ...(columns ? { columns } : {}) }
}

import type { Row } from '../../core/batch.js'
import { jsonText } from '../../core/json-text.js'
import type { RecordError } from '../../core/error-record.js'
import type { Message } from '../../core/message.js'
import { SluiceError } from '../../core/sluice-error.js'
import { IncrementalRun } from '../../cursor/incremental-run.js'
import { op } from '../op.js'
import { responseDate } from '../../http/response-date.js'
import type { FetchPage } from './page-fetcher.js'
import type { Page, PageRequest } from './paginator.js'
import type { ResolvedStream } from './rest-options.js'
import type { RestStreamState } from './rest-state.js'

/**
 * What stream readers hand the REST source: a message to pass on, or new per-stream states. The source applies a
 * state when it passes it on (never earlier), then emits a checkpoint of all streams.
 */
export type RestEvent =
  | { readonly kind: 'message'; readonly message: Message }
  | { readonly kind: 'state'; readonly updates: Readonly<Record<string, RestStreamState>> }

/** What every stream reader of one sync shares. */
export interface ReadContext {
  readonly fetch: FetchPage
  readonly signal: AbortSignal
  readonly clean: (request: PageRequest) => PageRequest
  readonly recordError: RecordError
  readonly concurrency: number
  /** States as the sync started (`state.streams`). */
  readonly saved: ReadonlyMap<string, RestStreamState>
}

/** The incremental run of a stream for this sync, resuming an unfinished run of an unsorted stream. */
export function incrementalRun(stream: ResolvedStream, ctx: ReadContext): IncrementalRun | undefined {
  if (!stream.incremental) return undefined
  const saved = ctx.saved.get(stream.table) ?? {}
  return new IncrementalRun({
    config: stream.incremental,
    table: stream.table,
    primaryKey: stream.primaryKey,
    recordError: ctx.recordError,
    saved: { ...(saved.cursor !== undefined ? { cursor: saved.cursor } : {}), ...(saved.keys ? { keys: saved.keys } : {}) },
    resume: saved.run,
  })
}

/** The primary key of a record as text (to spot a page served twice), when the stream declares one. */
export function recordKey(stream: ResolvedStream): ((record: unknown) => string) | undefined {
  const pk = stream.primaryKey
  if (!pk) return undefined
  return (record) => {
    const row = (typeof record === 'object' && record !== null ? record : {}) as Row
    // Bigints (a `records` function may return them) keep every digit instead of throwing.
    return jsonText(pk.length === 1 ? (row[pk[0]!] ?? null) : pk.map((k) => row[k] ?? null)) ?? 'null'
  }
}

/** The records of a page that are to be written (objects only; the cursor decides), in order. */
export function acceptRecords(stream: ResolvedStream, page: Page, inc: IncrementalRun | undefined): Row[] {
  const { records, url } = page
  inc?.markStart(responseDate(page.headers))
  const rows: Row[] = []
  for (let i = 0; i < records.length; i++) {
    const record = records[i]
    if (typeof record !== 'object' || record === null || Array.isArray(record)) {
      throw new SluiceError({
        code: 'HTTP_BODY',
        message: `${stream.table}: record ${i} of the page from ${url} is ${record === null ? 'null' : Array.isArray(record) ? 'an array' : `a ${typeof record}`}, not an object; check ${stream.where}.records`,
        context: { table: stream.table, url, index: i, option: `${stream.where}.records` },
      })
    }
    if (!inc || inc.accept(record as Row)) rows.push(record as Row)
  }
  return rows
}

/** The upsert message of a page's rows, without the columns a selection blocks, typed by the stream's declared columns. */
export function upsertMessage(stream: ResolvedStream, rows: Row[]): RestEvent {
  const message = op.upsert(stream.table, stream.project ? stream.project(rows) : rows)
  return { kind: 'message', message: stream.spec.columns ? message.withTypes(stream.spec.columns) : message }
}

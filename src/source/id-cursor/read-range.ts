import type { RowInput } from '../../core/batch.js'
import type { ErrorRecord } from '../../core/error-record.js'
import { SluiceError } from '../../core/sluice-error.js'
import { fetchPage, stopsTheSync, type RangeReader } from './fetch-page.js'
import type { IdValue } from './id-cursor-fetch.js'
import { isolateFailingId } from './isolate-failing-id.js'
import { requestContext, requestErrorRecord } from '../request-error-record.js'

/**
 * A slice of the id space: ids > `lo`, and ≤ `hi` when bounded (the fetch gets `before = hi + 1`).
 * `idCursor` reads the unbounded tail as one range and, with `span`, the ids below `maxId` as parallel bounded ranges.
 *
 * @example
 * ```ts
 * import type { IdRange } from './read-range.js'
 * const second: IdRange = { lo: 1000, hi: 2000 } // ids 1001…2000
 * ```
 */
export interface IdRange {
  readonly lo: IdValue | undefined
  readonly hi?: number
}

/** What reading a range produces, in id order: a page of rows, or a failing id skipped under `onError: 'continue'`. */
export type RangeItem =
  | { readonly kind: 'rows'; readonly rows: readonly RowInput[]; readonly after: IdValue }
  | { readonly kind: 'skip'; readonly error: ErrorRecord; readonly after: number }

/**
 * Reads one id range page by page with the adaptive size: a failed request (after its retries) shrinks the
 * size and is asked again; a failure at the smallest size fails the range (`ID_FETCH_FAILED`) or, under
 * `onError: 'continue'`, has its failing id isolated, pushed as a `skip` and stepped over.
 * A page shorter than the size it asked for ends the range.
 *
 * @example
 * ```ts
 * import { readRange } from './read-range.js'
 * import type { RangeReader } from './fetch-page.js'
 * declare const reader: RangeReader
 * await readRange(reader, { lo: 0 }, async (item) => console.log(item.kind, item.after), new AbortController().signal)
 * ```
 */
export async function readRange(
  reader: RangeReader,
  range: IdRange,
  push: (item: RangeItem) => Promise<void>,
  signal: AbortSignal,
): Promise<void> {
  const before = range.hi === undefined ? undefined : range.hi + 1
  let after = range.lo
  for (;;) {
    if (range.hi !== undefined && (after as number) >= range.hi) return
    const size = reader.sizes.current
    let page
    try {
      page = await fetchPage(reader, { after, before, size }, signal)
    } catch (error) {
      if (stopsTheSync(error)) throw error
      if (size > reader.smallest) {
        // Step below the size that failed, even if other ranges moved the shared size meanwhile.
        while (reader.sizes.current >= size && reader.sizes.shrink()) {}
        continue
      }
      if (reader.onError === 'fail') throw failedAtSmallest(reader, after, size, error)
      const found = await isolateFailingId(reader, { after: after as number, upper: range.hi ?? Number.MAX_SAFE_INTEGER, failure: error }, signal)
      if (found.kind === 'rows') {
        await push({ kind: 'rows', rows: found.rows, after: found.after })
        after = found.after
      } else {
        const parameters = { after, id: found.id, size: 1, ...(before !== undefined ? { before } : {}) }
        const record = requestErrorRecord({ table: reader.table, error: found.error, parameters, record: { [reader.idField]: found.id } })
        await push({ kind: 'skip', error: record, after: found.id })
        after = found.id
      }
      continue
    }
    reader.sizes.succeed()
    if (page.last !== undefined) {
      await push({ kind: 'rows', rows: page.rows, after: page.last })
      after = page.last
    }
    if (page.rows.length < size) return
  }
}

function failedAtSmallest(reader: RangeReader, after: IdValue | undefined, size: number, error: unknown): SluiceError {
  const reason = error instanceof Error ? error.message : String(error)
  const fix = reader.integer
    ? "fix the cause, or set onError: 'continue' to record the failing id in _sluice_errors and skip it"
    : 'fix the cause (string ids cannot be skipped: there is no "next id" to step over)'
  return new SluiceError({
    code: 'ID_FETCH_FAILED',
    message: `idCursor(${reader.table}): fetching ${reader.idField} > ${JSON.stringify(after)} failed at the smallest size (${size}); ${fix}: ${reason}`,
    context: { table: reader.table, after, size, ...requestContext(error) },
    cause: error,
  })
}

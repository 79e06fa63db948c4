import type { RowInput } from '../../core/batch.js'
import { SluiceError } from '../../core/sluice-error.js'
import { fetchPage, stopsTheSync, type RangeReader } from './fetch-page.js'
import type { IdValue } from './id-cursor-fetch.js'

/**
 * What isolating a failure found: good rows before the failing id (progress: carry on from them), or the
 * failing id itself (record it and continue after it).
 */
export type Isolated =
  | { readonly kind: 'rows'; readonly rows: readonly RowInput[]; readonly after: IdValue }
  | { readonly kind: 'skip'; readonly id: number; readonly error: unknown }

/**
 * Finds the id that makes `fetch({ after, size: 1 })` fail, for integer ids that may be sparse: probes the id
 * ranges (after, after + 1], (after, after + 2], (after, after + 4] … with size 1 until one fails, then bisects
 * inside it — about 2·log2(gap) requests, never one per missing id. A probe that returns a row proves that row
 * good: it is returned so the caller makes progress. Assumes the failure belongs to one id; when no id after
 * `after` (up to `upper`) fails, the failure is not tied to an id and it is thrown as `ID_FETCH_FAILED`.
 *
 * @example
 * ```ts
 * import { isolateFailingId } from './isolate-failing-id.js'
 * import type { RangeReader } from './fetch-page.js'
 * declare const reader: RangeReader
 * const found = await isolateFailingId(reader, { after: 41, upper: Number.MAX_SAFE_INTEGER, failure: new Error('500') }, new AbortController().signal)
 * ```
 */
export async function isolateFailingId(
  reader: RangeReader,
  args: { readonly after: number; readonly upper: number; readonly failure: unknown },
  signal: AbortSignal,
): Promise<Isolated> {
  let lo = args.after // invariant: no id in (args.after, lo], or only ones a probe returned
  let hi = Number.NaN // invariant once set: the probe of (lo, hi] failed
  let failure = args.failure
  let step = 1
  const probe = async (top: number) => {
    try {
      return await fetchPage(reader, { after: lo, before: top + 1, size: 1 }, signal)
    } catch (error) {
      if (stopsTheSync(error)) throw error
      failure = error
      return undefined
    }
  }
  while (Number.isNaN(hi)) {
    if (lo >= args.upper) throw notTied(reader, args, failure)
    const top = args.upper - lo <= step ? args.upper : lo + step
    const page = await probe(top)
    if (page === undefined) hi = top
    else if (page.last !== undefined) return { kind: 'rows', rows: page.rows, after: page.last }
    else {
      lo = top
      step *= 2
    }
  }
  while (hi - lo > 1) {
    const mid: number = lo + Math.floor((hi - lo) / 2)
    const page = await probe(mid)
    if (page === undefined) hi = mid
    else if (page.last !== undefined) return { kind: 'rows', rows: page.rows, after: page.last }
    else lo = mid
  }
  return { kind: 'skip', id: hi, error: failure }
}

function notTied(reader: RangeReader, args: { after: number; upper: number }, failure: unknown): SluiceError {
  const reason = failure instanceof Error ? failure.message : String(failure)
  return new SluiceError({
    code: 'ID_FETCH_FAILED',
    message: `idCursor(${reader.table}): fetching ${reader.idField} > ${args.after} fails, but every id range after it up to ${args.upper} reads fine (empty), so the failure is not tied to one id and cannot be skipped: ${reason}`,
    context: { table: reader.table, after: args.after },
    cause: failure,
  })
}

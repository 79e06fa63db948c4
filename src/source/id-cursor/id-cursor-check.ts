import { checkPassed, type CheckResult, type SourceCheckArgs } from '../../contracts/check.js'
import { isSluiceError } from '../../core/sluice-error.js'
import { httpCheckFailure } from '../http-check-failure.js'
import type { IdCursorFetch, IdValue } from './id-cursor-fetch.js'

/**
 * The check of an `idCursor` source: its `fetch` once, for one row after `start`, without retry.
 * It passes when the fetch answers an array; an HTTP failure is put in words as for REST.
 *
 * @example
 * ```ts
 * import { idCursorCheck } from './id-cursor-check.js'
 * const [result] = await idCursorCheck({ table: 'orders', fetch: async () => [{ id: 1 }], start: 0 }, { configuration: {}, signal: new AbortController().signal })
 * result?.ok // true
 * ```
 */
export async function idCursorCheck(
  o: { readonly table: string; readonly fetch: IdCursorFetch<IdValue>; readonly start: IdValue | undefined },
  args: SourceCheckArgs,
): Promise<CheckResult[]> {
  const name = `${o.table}: first fetch`
  try {
    const rows: unknown = await o.fetch({ after: o.start as never, size: 1, signal: args.signal })
    if (!Array.isArray(rows)) return [{ name, ok: false, message: `fetch returned ${rows === null ? 'null' : typeof rows}, not an array of rows`, hint: 'return the rows of the page as an array', code: 'ID_CURSOR_CONTRACT' }]
    return [checkPassed(name, `fetch of 1 row after ${String(o.start ?? 'the first id')} returned ${rows.length} row${rows.length === 1 ? '' : 's'}`)]
  } catch (error) {
    if (isSluiceError(error) && error.code.startsWith('HTTP_')) return [httpCheckFailure(name, error, { configuration: args.configuration, secrets: [] })]
    return [{ name, ok: false, message: error instanceof Error ? error.message : String(error), hint: 'the fetch threw: check the credentials and URL it uses', ...(isSluiceError(error) ? { code: error.code } : {}) }]
  }
}

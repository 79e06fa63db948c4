import type { RowInput } from '../../core/batch.js'
import { jsonText } from '../../core/json-text.js'
import { SluiceError } from '../../core/sluice-error.js'
import type { IdValue } from './id-cursor-fetch.js'


/**
 * What a page was asked for, to check the answer against: `idCursor`'s fetch contract.
 * Passed to `checkPage` with the rows the fetch returned.
 *
 * @example
 * ```ts
 * import type { PageRequest } from './check-page.js'
 * const asked: PageRequest = { table: 'orders', idField: 'id', integer: true, after: 0, size: 100 }
 * ```
 */
export interface PageRequest {
  readonly table: string
  readonly idField: string
  /** Integer ids are checked strictly ascending and inside (after, before); string ids only for progress. */
  readonly integer: boolean
  readonly after: IdValue | undefined
  readonly before?: number | undefined
  readonly size: number
}

/**
 * Checks a fetched page against the fetch contract (an array of at most `size` rows, each with an id,
 * ascending, id > after, id < before) and returns the last id; throws `ID_CURSOR_CONTRACT` otherwise.
 * A fetch that ignores `after` or `before` would loop or lose rows: this stops it at the first page.
 *
 * @example
 * ```ts
 * import { checkPage } from './check-page.js'
 * checkPage([{ id: 4 }, { id: 9 }], { table: 'orders', idField: 'id', integer: true, after: 3, size: 10 }) // 9
 * ```
 */
export function checkPage(rows: unknown, asked: PageRequest): IdValue | undefined {
  if (!Array.isArray(rows)) throw contract(asked, `returned ${rows === null ? 'null' : typeof rows} instead of an array of rows`)
  if (rows.length > asked.size) throw contract(asked, `returned ${rows.length} rows for size ${asked.size}; return at most \`size\` rows`)
  let previous: IdValue | undefined = asked.after
  for (let i = 0; i < rows.length; i++) {
    const id = idOf(rows[i], asked, i)
    if (asked.integer) {
      if (previous !== undefined && id <= previous) {
        throw contract(asked, `returned id ${id} at row ${i} after ${i === 0 ? 'after =' : 'id'} ${previous}; rows must be ascending by \`${asked.idField}\` with ${asked.idField} > after`)
      }
      if (asked.before !== undefined && (id as number) >= asked.before) {
        throw contract(asked, `returned id ${id} for before = ${asked.before}; return only rows with ${asked.idField} < before`)
      }
    } else if (id === previous) {
      throw contract(asked, `returned id ${JSON.stringify(id)} twice (or equal to after); return only rows with ${asked.idField} > after, ascending`)
    }
    previous = id
  }
  return rows.length > 0 ? previous : undefined
}

/** The id of one fetched row; throws `ID_CURSOR_CONTRACT` when it is missing or of the wrong kind. */
export function idOf(row: unknown, asked: Pick<PageRequest, 'table' | 'idField' | 'integer' | 'after' | 'size'>, index: number): IdValue {
  if (typeof row !== 'object' || row === null) throw contract(asked, `returned ${row === null ? 'null' : typeof row} at row ${index} instead of an object`)
  const id = (row as Record<string, unknown>)[asked.idField]
  if (asked.integer ? Number.isSafeInteger(id) : typeof id === 'string' && id !== '') return id as IdValue
  // jsonText: a bigint id (JSON beyond 2^53) made JSON.stringify throw a raw TypeError here.
  const shown = id === undefined ? 'no value' : (jsonText(id) ?? String(id))
  const want = !asked.integer
    ? 'a non-empty string'
    : typeof id === 'bigint'
      ? "a safe integer; ids beyond 2^53 can't be integer cursors: return them as strings (String(row.id)) with idType: 'string'"
      : "a safe integer (declare idType: 'string' for string ids)"
  throw contract(asked, `returned a row with ${shown} in \`${asked.idField}\` at row ${index}; it must be ${want}`)
}

function contract(asked: Pick<PageRequest, 'table' | 'after' | 'size'> & { before?: number | undefined }, problem: string): SluiceError {
  return new SluiceError({
    code: 'ID_CURSOR_CONTRACT',
    message: `idCursor(${asked.table}): fetch({ after: ${JSON.stringify(asked.after)}${asked.before !== undefined ? `, before: ${asked.before}` : ''}, size: ${asked.size} }) ${problem}`,
    context: { table: asked.table, after: asked.after, ...(asked.before !== undefined ? { before: asked.before } : {}), size: asked.size },
  })
}

import { SluiceError } from '../../core/sluice-error.js'
import { compareKeys, cursorKey, cursorTypeOf, type CursorKey, type CursorType } from '../../cursor/cursor-value.js'
import type { IncrementalConfig } from '../../cursor/incremental-options.js'

/**
 * How an incremental `graphql()` stream walks its pages (the reasoning is in docs/incremental-paging.md):
 * - `'follow'`: `$after` ← `endCursor`, for tokens the user declared keysets (`keyset: true`: each continues after the
 *   last node returned, so nodes changing during the sync can't shift an unread node behind it), and for streams
 *   that are not incremental (they read everything at every sync);
 * - `'byCursor'`: `sorted: true` without `keyset`: each page asks for the first page again with the bound variable
 *   set to the last node's cursor value (`$after` null), since an `endCursor` may encode an offset (graphql-relay's
 *   `arrayconnection:<n>`) that rows leaving or entering the result shift.
 */
export type GraphqlPaging = 'follow' | 'byCursor'

/**
 * Decides how a `graphql()` stream pages, refusing (CONFIG_INVALID, naming the option and the fix) an incremental
 * stream that can be neither paged by its cursor (not `sorted`) nor trusted to follow its `endCursor` (no `keyset`).
 */
export function graphqlPaging(args: { readonly table: string; readonly incremental: IncrementalConfig | undefined; readonly keyset: boolean }): GraphqlPaging {
  const { table, incremental, keyset } = args
  if (!incremental || keyset) return 'follow'
  if (incremental.sorted) return 'byCursor'
  throw new SluiceError({
    code: 'CONFIG_INVALID',
    message: `\`graphql.incremental.sorted\` must be true, or \`graphql.keyset\` set, on the incremental stream ${table}: sluice would follow endCursor, which many servers encode as a position (graphql-relay's arrayconnection:<n>), and when nodes change, arrive or are deleted during a sync, unchanged nodes move past it and are never read, their ${incremental.field} below what the next sync asks for. Set incremental.sorted: true if the query returns nodes ascending by ${incremental.field} (e.g. orderBy: UPDATED_AT): sluice then pages by the cursor and loses nothing; or, if endCursor continues after the last node returned (a keyset, as Shopify's and GitHub's cursors do), say so with keyset: true (see docs/incremental-paging.md)`,
    context: { option: 'graphql.incremental.sorted', table },
  })
}

/**
 * The bound of a `'byCursor'` stream: after each page, the last node's cursor value becomes the variable of a new
 * query from its first page (closed bound: the nodes already written at that value come back and the incremental run
 * skips them by key). A page whose nodes all sit at the bound can't move it: more nodes share that value than a page
 * holds, and the stream fails with CURSOR_TIES rather than step by an `endCursor` that may count positions.
 */
export class GraphqlBound {
  readonly #table: string
  readonly #incremental: IncrementalConfig
  #type: CursorType | undefined
  #value: string | number | undefined
  #key: CursorKey | undefined

  constructor(args: { readonly table: string; readonly incremental: IncrementalConfig; readonly from: string | number | undefined }) {
    this.#table = args.table
    this.#incremental = args.incremental
    this.#type = args.incremental.type ?? cursorTypeOf(args.from)
    this.#value = args.from
    this.#key = args.from === undefined ? undefined : this.#keyOf(args.from)
  }

  /** The variable's value for the next query: undefined before any bound (the variable is then null). */
  get value(): string | number | undefined {
    return this.#value
  }

  /** Moves the bound to the last cursor value of `nodes` (a page that has a next one); throws when it can't move. */
  advance(nodes: readonly unknown[], pageSize: number): void {
    const field = this.#incremental.field
    const variable = this.#incremental.param
    let raw: unknown
    for (let i = nodes.length - 1; i >= 0 && (raw === undefined || raw === null); i--) raw = this.#incremental.read(nodes[i])
    const key = raw === undefined || raw === null ? undefined : this.#keyOf(raw)
    const order = key === undefined ? 0 : this.#key === undefined ? 1 : compareKeys(key, this.#key)
    if (order > 0) {
      this.#value = typeof raw === 'number' || typeof raw === 'string' ? raw : String(raw)
      this.#key = key
      return
    }
    if (order < 0) {
      throw new SluiceError({
        code: 'GRAPHQL_UNSORTED',
        message: `graphql(${this.#table}): asked for ${field} ≥ ${JSON.stringify(this.#value)} ($${variable}) and got a page ending at ${JSON.stringify(raw)}: the query ignores $${variable} or doesn't return nodes ascending by ${field}; pass $${variable} to the connection's lower-bound argument, or unset incremental.sorted`,
        context: { table: this.#table, field, bound: this.#value ?? null },
      })
    }
    throw new SluiceError({
      code: 'CURSOR_TIES',
      message: `graphql(${this.#table}): a whole page of ${nodes.length} nodes has ${field} = ${JSON.stringify(this.#value ?? null)}: more nodes share that value than a page holds, and sluice pages a sorted stream by its cursor, not by endCursor (which may count positions); set pageSize above the most nodes sharing one ${field} (it is ${pageSize}), or, if endCursor continues after the last node returned (a keyset), set keyset: true`,
      context: { table: this.#table, field, value: this.#value ?? null },
    })
  }

  #keyOf(raw: unknown): CursorKey {
    this.#type ??= cursorTypeOf(raw)
    const where = `${this.#table}.${this.#incremental.field}`
    if (this.#type === undefined) throw new SluiceError({ code: 'CURSOR_INVALID', message: `${where} must be a timestamp, number or string, got ${typeof raw}`, context: { where } })
    return cursorKey(raw, this.#type, where)
  }
}

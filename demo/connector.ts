// The demo connector: syncs a shop API's orders and customers incrementally by `updated_at`,
// one checkpoint per page. It is what a user writes — `connector()` and `op` from 'sluice',
// global fetch — and runs with `sluice debug` or from demo/run.ts.
import { connector, op, type State, type TableSpec } from 'sluice'

/** Where a table's change feed was read up to: the last row's `updated_at`, and its id to break ties. */
type Cursor = { updated_at: string; id: number }

interface Page {
  data: Array<{ id: number; updated_at: string; deleted?: boolean; [column: string]: unknown }>
  has_more: boolean
}

const TABLES = ['customers', 'orders'] as const

function cursorOf(state: State, table: string): Cursor {
  const saved = state[table] as { updated_at?: unknown; id?: unknown } | undefined
  return typeof saved?.updated_at === 'string' && typeof saved.id === 'number' ? { updated_at: saved.updated_at, id: saved.id } : { updated_at: '', id: 0 }
}

async function fetchPage(baseUrl: string, table: string, cursor: Cursor, limit: number): Promise<Page> {
  const url = new URL(`/${table}`, baseUrl)
  if (cursor.updated_at !== '') url.searchParams.set('updated_since', cursor.updated_at)
  url.searchParams.set('after_id', String(cursor.id))
  url.searchParams.set('limit', String(limit))
  const response = await fetch(url)
  if (!response.ok) throw new Error(`GET ${url.pathname} answered ${response.status}: ${await response.text()}`)
  return (await response.json()) as Page
}

export default connector({
  id: 'demo_shop',
  required: ['base_url'],
  // Annotated: an array literal whose tables declare different columns needs the element type.
  schema: (): TableSpec[] => [
    {
      table: 'customers',
      primaryKey: ['id'],
      columns: { id: 'LONG', created_at: 'UTC_DATETIME', updated_at: 'UTC_DATETIME' },
    },
    {
      table: 'orders',
      primaryKey: ['id'],
      columns: { id: 'LONG', customer_id: 'LONG', amount: 'DECIMAL(12,2)', items: 'JSON', created_at: 'UTC_DATETIME', updated_at: 'UTC_DATETIME' },
    },
  ],
  async *update(configuration, state) {
    const baseUrl = configuration.base_url!
    const pageSize = Number(configuration.page_size ?? '5000')
    // A checkpoint replaces the whole state: carry every table's cursor in each one.
    const cursors: Record<string, Cursor> = Object.fromEntries(TABLES.map((t) => [t, cursorOf(state, t)]))
    for (const table of TABLES) {
      for (;;) {
        const page = await fetchPage(baseUrl, table, cursors[table]!, pageSize)
        if (page.data.length === 0) break
        const live = page.data.filter((row) => !row.deleted)
        const deleted = page.data.filter((row) => row.deleted).map((row) => ({ id: row.id }))
        if (live.length > 0) yield op.upsert(table, live)
        if (deleted.length > 0) yield op.delete(table, deleted)
        const last = page.data[page.data.length - 1]!
        cursors[table] = { updated_at: last.updated_at, id: last.id }
        yield op.checkpoint({ ...cursors })
        if (!page.has_more) break
      }
    }
  },
})

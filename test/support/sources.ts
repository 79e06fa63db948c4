import { op, type Message, type Row, type Source, type State, type TableSpec } from '../../src/index.js'

/** A source that yields the given messages once, then (optionally) throws. Tables default to key `id`. */
export function scripted(
  messages: readonly Message[],
  options: { failWith?: Error; id?: string; tables?: readonly TableSpec[] } = {},
): Source {
  const tables = options.tables ?? [...new Set(messages.flatMap((m) => (m.kind === 'checkpoint' ? [] : [m.table])))].map((table) => ({ table, primaryKey: ['id'] }))
  return {
    id: options.id ?? 'scripted',
    tables: () => tables,
    async *read() {
      for (const m of messages) yield m
      if (options.failWith) throw options.failWith
    },
  }
}

/** Upsert + checkpoint in one go. */
export function page(table: string, rows: Row[], state: State): Message[] {
  return [op.upsert(table, rows), op.checkpoint(state)]
}

/** Makes destination values comparable across sinks: booleans as 0/1, JSON as text, bytes as hex, bigint as text. */
export function norm(value: unknown): unknown {
  if (typeof value === 'boolean') return value ? 1 : 0
  if (typeof value === 'bigint') return value.toString()
  if (value instanceof Uint8Array) return Buffer.from(value).toString('hex')
  if (value !== null && typeof value === 'object') return JSON.stringify(value)
  return value
}

/** Rows with values normalised and system time columns dropped; sorted by `key` when given. */
export function normRows(rows: readonly Row[], key?: string): Row[] {
  const out = rows.map((r) => {
    const o: Row = {}
    for (const [k, v] of Object.entries(r)) if (k !== '_sluice_synced') o[k] = norm(v)
    return o
  })
  if (key) out.sort((a, b) => (String(a[key]) < String(b[key]) ? -1 : String(a[key]) > String(b[key]) ? 1 : 0))
  return out
}

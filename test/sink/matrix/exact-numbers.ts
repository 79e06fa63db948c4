import { describe, expect, it } from 'vitest'
import { op, sync, type Message, type Row, type Sink, type Source, type TableSpec } from '../../../src/index.js'
import { jsonText } from '../../../src/core/json-text.js'
import { parseJsonExact } from '../../../src/core/parse-json-exact.js'
import type { SinkFactory } from './each-destination.js'

// API pages as text (JSON.stringify can't write these numbers), read as sluice's JSON sources read them.
const PAGE = parseJsonExact(
  '[{"id":9007199254740992,"d":12345678901234567890.123,"w":99999999999999999999999999999999999999,"l":9223372036854775807},' +
    '{"id":9007199254740993,"d":-12345678901234567890.124,"w":-12345678901234567890123456789012345678,"l":-9223372036854775808}]',
) as Row[]
const CHANGE = parseJsonExact('{"id":9007199254740993,"d":0.001,"w":1,"l":9007199254740993}') as Row
const DECIMAL_KEYS = parseJsonExact('[{"k":12345678901234567890.123,"v":"a"},{"k":12345678901234567890.124,"v":"b"}]') as Row[]
const KEYLESS = parseJsonExact('[{"v":9007199254740992},{"v":9007199254740993}]') as Row[]
const DOCUMENT = '{"n":12345678901234567890,"x":-12345678901234567890.123,"small":[1,2.5]}'

const TABLES: TableSpec[] = [
  { table: 'exact', primaryKey: ['id'], columns: { d: 'DECIMAL(38,3)', w: 'DECIMAL(38,0)', l: 'LONG' } },
  { table: 'deckey', primaryKey: ['k'], columns: { k: 'DECIMAL(38,3)' } },
  { table: 'keyless' },
  { table: 'docs', primaryKey: ['id'], columns: { doc: 'JSON' } },
]

/** An upsert typed by the table's declared columns, as the JSON sources build them. */
const upsert = (table: string, rows: Row | Row[]): Message => op.upsert(table, rows).withTypes(TABLES.find((t) => t.table === table)!.columns ?? {})

function source(messages: readonly Message[]): Source {
  return {
    id: 'exact',
    tables: () => TABLES,
    async *read() {
      yield* messages
    },
  }
}

/** A value as exact text: a sink may read a LONG back as a number (when safe) or a bigint, a DECIMAL as text. */
const text = (v: unknown) => (v === null || v === undefined ? null : String(v))
const rowsOf = async (sink: Sink, table: string, columns: readonly string[]) =>
  (await sink.read!({ table })).map((r) => columns.map((c) => text(r[c]))).sort((a, b) => (a.join() < b.join() ? -1 : 1))

/**
 * Numbers a double can't hold, as the JSON sources hand them over (bigints, `ExactDecimal`), land
 * exactly in every sink: as keys, as LONG and as DECIMAL(38,s) values.
 */
export function describeExactNumberConformance(name: string, make: SinkFactory): void {
  describe(`sink exact numbers: ${name}`, () => {
    it('JSON ids one apart beyond 2^53 stay two rows; LONG and DECIMAL(38,s) values keep every digit', async () => {
      const sink = await make()
      const metered = typeof sink.meter === 'function'
      const report = await sync({
        destination: sink,
        source: source([upsert('exact', PAGE), op.checkpoint({ n: 1 }), upsert('exact', CHANGE), op.checkpoint({ n: 2 })]),
        ...(metered ? { mar: { clock: { now: () => Date.UTC(2026, 10, 15) } } } : {}),
      })
      expect(report.error).toBeUndefined()
      const types = Object.fromEntries((await sink.describe!()).find((t) => t.table === 'exact')!.columns.map((c) => [c.source, c.type]))
      expect(types).toMatchObject({ id: 'LONG', d: 'DECIMAL(38,3)', w: 'DECIMAL(38,0)', l: 'LONG' })
      expect(await rowsOf(sink, 'exact', ['id', 'd', 'w', 'l'])).toEqual([
        ['9007199254740992', '12345678901234567890.123', '99999999999999999999999999999999999999', '9223372036854775807'],
        ['9007199254740993', '0.001', '1', '9007199254740993'],
      ])
      if (metered) expect(report.mar).toEqual({ exact: 2 })
    })

    it('DECIMAL keys that one double would merge stay two rows, and keyless rows that differ beyond 2^53 too', async () => {
      const sink = await make()
      const report = await sync({ destination: sink, source: source([upsert('deckey', DECIMAL_KEYS), upsert('keyless', KEYLESS), op.checkpoint({ n: 1 })]) })
      expect(report.error).toBeUndefined()
      expect(await rowsOf(sink, 'deckey', ['k', 'v'])).toEqual([
        ['12345678901234567890.123', 'a'],
        ['12345678901234567890.124', 'b'],
      ])
      expect(await rowsOf(sink, 'keyless', ['v'])).toEqual([['9007199254740992'], ['9007199254740993']])
    })

    it('a JSON column keeps the numbers inside it exact, written and read back', async () => {
      const sink = await make()
      const report = await sync({ destination: sink, source: source([upsert('docs', parseJsonExact(`[{"id":1,"doc":${DOCUMENT}}]`) as Row[]), op.checkpoint({ n: 1 })]) })
      expect(report.error).toBeUndefined()
      const [row] = await sink.read!({ table: 'docs' })
      // A sink may read JSON back as text or as a value: either way, the same JSON text.
      const doc = row!['doc']
      expect(typeof doc === 'string' ? jsonText(parseJsonExact(doc)) : jsonText(doc)).toBe(DOCUMENT)
    })

    it('a JSON column widened to STRING keeps the numbers inside it exact (the stored text is not re-read as doubles)', async () => {
      const sink = await make()
      const report = await sync({
        destination: sink,
        source: source([
          upsert('docs', parseJsonExact(`[{"id":1,"doc":${DOCUMENT}}]`) as Row[]),
          op.checkpoint({ n: 1 }),
          { kind: 'schema', table: 'docs', change: { type: 'change_type', column: 'doc', from: 'JSON', to: 'STRING' } },
          op.checkpoint({ n: 2 }),
        ]),
      })
      expect(report.error).toBeUndefined()
      const [row] = await sink.read!({ table: 'docs' })
      expect(jsonText(parseJsonExact(row!['doc'] as string))).toBe(DOCUMENT)
    })

    it('a DOUBLE column refuses an integer beyond 2^53 with DESTINATION_WRITE (sqlite and postgres rounded it); declared STRING it lands exactly', async () => {
      const sink = await make()
      const write = (rows: Row[], columns: Record<string, 'STRING'> = {}) =>
        sync({ destination: sink, source: { id: 'c', tables: () => [{ table: 'd', primaryKey: ['id'], columns }], async *read() { yield op.upsert('d', rows).withTypes(columns); yield op.checkpoint({}) } } })
      expect((await write([{ id: 1, w: 1.5 }])).error).toBeUndefined()
      const refused = await write(parseJsonExact('[{"id":2,"w":9007199254740993}]') as Row[])
      expect(refused.status).toBe('failed')
      expect(refused.error).toMatchObject({ code: 'DESTINATION_WRITE', message: expect.stringContaining('declare the column STRING') })
      expect(await rowsOf(sink, 'd', ['id', 'w'])).toEqual([['1', '1.5']])
      expect((await write(parseJsonExact('[{"id":2,"w":9007199254740993}]') as Row[], { w: 'STRING' })).error).toBeUndefined()
      expect(await rowsOf(sink, 'd', ['id', 'w'])).toEqual([['1', '1.5'], ['2', '9007199254740993']])
    })
  })
}

import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { fileState } from '../../src/index.js'
import { normalizeName, quoteIdent } from '../../src/core/normalize-name.js'
import { parseColumnType } from '../../src/core/column-type.js'
import { parseDuration } from '../../src/core/duration.js'
import { serializeState } from '../../src/core/json-state.js'
import { parseCanonicalUtcMicros, parseUtcMicros } from '../../src/core/temporal.js'

describe('normalizeName', () => {
  it.each([
    ['OrderID', 'order_id'], ['First Name', 'first_name'], ['"; drop table x; --', 'drop_table_x'], ['order', 'order'],
    ['Ünïcödé', 'ünïcödé'], ['2fa', '_2fa'], ['HTTPServer', 'http_server'], ['', '_'], ['a.b-c', 'a_b_c'],
    ['address__city', 'address__city'], ['_sluice_parent_id', '_sluice_parent_id'], ['a____b', 'a__b'],
  ])('%s → %s', (input, output) => expect(normalizeName(input)).toBe(output))

  it('cuts long names to 63 bytes with a stable hash', () => {
    const long = 'x'.repeat(100)
    expect(Buffer.byteLength(normalizeName(long))).toBeLessThanOrEqual(63)
    expect(normalizeName(long)).toBe(normalizeName(long))
    expect(normalizeName(long)).not.toBe(normalizeName(long + 'y'))
  })

  it('quotes identifiers so any string is safe', () => expect(quoteIdent('a"b')).toBe('"a""b"'))
})

describe('values', () => {
  it('parses durations and rejects nonsense with the option name', () => {
    expect(parseDuration('1h30m', 'x')).toBe(5_400_000)
    expect(parseDuration('14 days', 'x')).toBe(14 * 86_400_000)
    expect(parseDuration(250, 'x')).toBe(250)
    expect(() => parseDuration('soon', 'sync.deadline')).toThrow(/`sync.deadline` must be a duration/)
  })

  it('parses column types, case-insensitively, and rejects unknown ones', () => {
    expect(parseColumnType('decimal(10, 2)', 'x')).toBe('DECIMAL(10,2)')
    expect(() => parseColumnType('NUMBER', 'schema.t.columns.a')).toThrow(/schema.t.columns.a: unknown column type "NUMBER"/)
  })

  it('parses ISO timestamps exactly, fast path and general path agreeing', () => {
    for (const s of ['2026-11-22T10:00:00Z', '2026-11-22T10:00:00.123456Z', '1969-12-31T23:59:59.999999Z', '2024-02-29T00:00:00.1Z']) {
      expect(parseCanonicalUtcMicros(s)).toBe(parseUtcMicros(s.replace('Z', '+00:00')))
    }
    expect(parseUtcMicros('2026-02-30T00:00:00Z')).toBeUndefined()
    expect(parseUtcMicros('2026-11-22T10:00:00')).toBeUndefined()
  })

  it('serialises state stably and rejects what JSON cannot hold', () => {
    expect(serializeState({ b: [2, 1], a: { d: 1, c: null } })).toBe('{"a":{"c":null,"d":1},"b":[2,1]}')
    expect(() => serializeState({ x: NaN })).toThrow(/\$\.x is NaN/)
    expect(() => serializeState({ x: undefined })).toThrow(/undefined/)
    expect(() => serializeState([] as never)).toThrow(/JSON object/)
    const cyclic: Record<string, unknown> = {}
    cyclic.me = cyclic
    expect(() => serializeState(cyclic)).toThrow(/cycle/)
  })
})

describe('fileState', () => {
  it('saves atomically, loads, clears, and keys by connector when shared', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-state-'))
    const one = fileState({ path: join(dir, 'files', 'state.json') })
    expect(await one.load({ connectorId: 'c' })).toBeUndefined()
    await one.save({ connectorId: 'c', state: { cursor: 'x' } })
    expect(JSON.parse(readFileSync(join(dir, 'files', 'state.json'), 'utf8'))).toEqual({ cursor: 'x' })
    expect(await one.load({ connectorId: 'c' })).toEqual({ cursor: 'x' })
    await one.clear({ connectorId: 'c' })
    expect(await one.load({ connectorId: 'c' })).toBeUndefined()
    const shared = fileState({ path: join(dir, 'all.json'), shared: true })
    await shared.save({ connectorId: 'a', state: { n: 1 } })
    await shared.save({ connectorId: 'b', state: { n: 2 } })
    expect(await shared.load({ connectorId: 'a' })).toEqual({ n: 1 })
    await shared.clear({ connectorId: 'a' })
    expect(await shared.load({ connectorId: 'a' })).toBeUndefined()
    expect(await shared.load({ connectorId: 'b' })).toEqual({ n: 2 })
  })
})

import { describe, expect, it } from 'vitest'
import { batchFromRows, op, type Message, type RecordsMessage } from '../../src/index.js'
import { applyDecision } from '../../src/schema-drift/apply-decision.js'
import { castColumn, misfits, widenTarget } from '../../src/schema-drift/cast-column.js'
import { decideRecords } from '../../src/schema-drift/drift-decision.js'
import { DRIFT_PRESETS, parseDriftOptions } from '../../src/schema-drift/drift-policy.js'
import { knownSchema, type KnownTable } from '../../src/schema-drift/known-schema.js'
import { schemaDrift } from '../../src/schema-drift/schema-drift.js'

const records = (rows: object[], columns?: Record<string, 'NAIVE_DATE' | 'DECIMAL(10,2)'>): RecordsMessage => ({
  kind: 'records', table: 't', op: 'upsert', batch: batchFromRows(rows, columns ? { columns } : {}),
})
const known = (columns: Record<string, string>, exists = true): KnownTable => ({
  table: 't', exists, primaryKey: ['id'], columns: new Map(Object.entries(columns)) as KnownTable['columns'],
})
const allow = DRIFT_PRESETS.allowAll

describe('schema drift decision (pure)', () => {
  it('passes a batch that matches the known schema untouched (same message object)', () => {
    const m = records([{ id: 1, name: 'a' }])
    const d = decideRecords(m, known({ id: 'INT', name: 'STRING' }), allow)
    expect(d).toMatchObject({ dropTable: false, creates: false, changes: [], discards: [] })
    expect(d.actions.size).toBe(0)
    expect(applyDecision(m, d, ['id'], 'evolve').batch).toBe(m.batch)
  })

  it('decides without touching the input batch, and applying builds a new batch', () => {
    const m = records([{ id: 1, n: 'x' }, { id: 2, n: 5 }])
    const before = m.batch.toRows()
    const d = decideRecords(m, known({ id: 'INT', n: 'INT' }), { ...allow, types: 'discard_value' })
    const { batch, errors } = applyDecision(m, d, ['id'], 'evolve')
    expect(m.batch.toRows()).toEqual(before)
    expect(batch).not.toBe(m.batch)
    expect(batch!.toRows()).toEqual([{ id: 1, n: null }, { id: 2, n: 5 }])
    expect(batch!.column('n')!.type).toBe('INT')
    expect(errors).toHaveLength(1)
  })

  it('a creation batch needs no changes; a NULL-only column is left out unless it is a key', () => {
    const m = records([{ id: 1, a: 'x', none: null }])
    const d = decideRecords(m, known({}, false), { ...allow, columns: 'freeze' })
    expect(d).toMatchObject({ creates: true, changes: [] })
    expect([...d.actions]).toEqual([['none', { kind: 'drop' }]])
  })

  it('an unknown table follows the tables mode', () => {
    const m = records([{ id: 1 }])
    expect(decideRecords(m, undefined, allow)).toMatchObject({ dropTable: false, creates: true })
    expect(decideRecords(m, undefined, { ...allow, tables: 'discard_row' })).toMatchObject({ dropTable: true })
    expect(decideRecords(m, undefined, { ...allow, tables: 'freeze' }).frozen).toMatchObject({ code: 'SCHEMA_FROZEN', context: { table: 't' } })
  })

  it('values that fit the known type are cast to it; values that do not widen it', () => {
    const m = records([{ id: 1, flag: 1, n: 2, when: '2026-01-01' }])
    const d = decideRecords(m, known({ id: 'INT', flag: 'BOOLEAN', n: 'DOUBLE', when: 'NAIVE_DATE' }), allow)
    expect(d.changes).toEqual([])
    // INT values into a DOUBLE column are stored as the same numbers by every sink: no cast needed.
    expect(Object.fromEntries([...d.actions].map(([k, a]) => [k, a.kind === 'cast' ? a.to : a.kind]))).toEqual({ flag: 'BOOLEAN', when: 'NAIVE_DATE' })
    const wide = decideRecords(records([{ id: 1, flag: 5 }]), known({ id: 'INT', flag: 'BOOLEAN' }), allow)
    expect(wide.changes).toEqual([{ type: 'change_type', column: 'flag', from: 'BOOLEAN', to: 'INT' }])
  })
})

describe('widening target', () => {
  const col = (v: unknown[], columns?: Record<string, 'DECIMAL(10,2)'>) => batchFromRows(v.map((x) => ({ v: x })), columns ? { columns } : {})

  it('a DECIMAL grows its digits instead of becoming a lossy DOUBLE', () => {
    const b = col([123456789.125, 1])
    expect(widenTarget('DECIMAL(10,2)', b.column('v')!, b.length)).toBe('DECIMAL(12,3)')
    const huge = col(['1' + '0'.repeat(40)])
    expect(widenTarget('DECIMAL(10,2)', huge.column('v')!, huge.length)).toBe('STRING')
  })

  it('BOOLEAN < INT < LONG < DOUBLE < STRING; a bigint beyond 2^53 into DOUBLE goes to STRING', () => {
    const ints = col([1, 2 ** 40])
    expect(widenTarget('INT', ints.column('v')!, ints.length)).toBe('LONG')
    const dbl = col([1.5])
    expect(widenTarget('LONG', dbl.column('v')!, dbl.length)).toBe('DOUBLE')
    const big = col([2n ** 60n + 1n])
    expect(widenTarget('DOUBLE', big.column('v')!, big.length)).toBe('STRING')
  })

  it('castColumn nulls the given rows, keeps others, and leaves the input column alone', () => {
    const b = col(['1', 'x', null])
    const c = b.column('v')!
    expect(misfits(c, b.length, 'INT')).toEqual([1])
    const cast = castColumn(c, b.length, 'INT', new Set([1]))
    expect([...(cast.values as Int32Array)]).toEqual([1, 0, 0])
    expect(cast.nullCount).toBe(2)
    expect(c.values).toEqual(['1', 'x', ''])
  })
})

describe('known schema', () => {
  it('merges the destination and declared tables; the destination type wins', () => {
    const k = knownSchema(
      [{ table: 't', primaryKey: ['id'], columns: { a: 'STRING', b: 'INT' } }, { table: 'd', columns: { x: 'INT' } }],
      [{ table: 't', name: 't', primaryKey: ['id'], mode: 'upsert', columns: [{ source: 'a', name: 'a', type: 'INT' }] }],
    )
    expect(k.get('t')).toMatchObject({ exists: true, primaryKey: ['id'] })
    expect([...k.get('t')!.columns]).toEqual([['a', 'INT'], ['b', 'INT']])
    expect(k.get('d')).toMatchObject({ exists: false })
  })
})

describe('schemaDrift options', () => {
  it('presets map to Fivetran settings and explicit modes override them', () => {
    expect(parseDriftOptions(undefined)).toEqual({ tables: 'evolve', columns: 'evolve', types: 'evolve' })
    expect(parseDriftOptions({ preset: 'allowColumns' })).toEqual({ tables: 'discard_row', columns: 'evolve', types: 'evolve' })
    expect(parseDriftOptions({ preset: 'blockAll', types: 'freeze' })).toEqual({ tables: 'discard_row', columns: 'discard_value', types: 'freeze' })
    expect(schemaDrift.presets.blockAll.columns).toBe('discard_value')
  })

  it('refuses bad options when built, naming the option and the value', () => {
    expect(() => schemaDrift({ columns: 'allow' as never })).toThrow(/schemaDrift.columns must be one of evolve, freeze, discard_value, discard_row, got "allow"/)
    expect(() => schemaDrift({ preset: 'everything' as never })).toThrow(/schemaDrift.preset must be one of allowAll, allowColumns, blockAll/)
    expect(() => schemaDrift({ colums: 'evolve' } as never)).toThrow(/unknown option "colums"/)
    expect(() => schemaDrift('allowAll' as never)).toThrow(/CONFIG|takes/)
  })
})

describe('schemaDrift stage with schema messages from the source', () => {
  const run = async (messages: Message[], policy: Parameters<typeof schemaDrift>[0]) => {
    const stage = schemaDrift(policy)
    const errors: unknown[] = []
    const out: Message[] = []
    async function* input() {
      yield* messages
    }
    const context = {
      connectorId: 'c', syncId: 's', signal: new AbortController().signal, recordError: (e: unknown) => errors.push(e),
      tables: [{ table: 't', primaryKey: ['id'] }],
      describeDestination: async () => [{ table: 't', name: 't', primaryKey: ['id'], mode: 'upsert', columns: [{ source: 'id', name: 'id', type: 'INT' }] }],
    }
    for await (const m of stage(input(), context)) out.push(m)
    return { out, errors }
  }
  const add = { kind: 'schema', table: 't', change: { type: 'add_column', column: 'x', columnType: 'STRING' } } as const

  it('passes an allowed change, drops and records a discarded one, fails a frozen one', async () => {
    expect((await run([add], {})).out).toEqual([add])
    const dropped = await run([add, op.checkpoint({})], { columns: 'discard_value' })
    expect(dropped.out.map((m) => m.kind)).toEqual(['checkpoint'])
    expect(dropped.errors).toEqual([expect.objectContaining({ kind: 'schema', code: 'SCHEMA_DISCARDED' })])
    await expect(run([add], { columns: 'freeze' })).rejects.toMatchObject({ code: 'SCHEMA_FROZEN', context: { table: 't', column: 'x' } })
  })
})

describe('deletes', () => {
  it('keep only the key of a keyed table: extra columns neither evolve the schema nor fail a frozen one', () => {
    const m: RecordsMessage = { kind: 'records', table: 't', op: 'delete', batch: batchFromRows([{ id: 1, reason: 'gone' }]) }
    const d = decideRecords(m, known({ id: 'INT' }), { tables: 'freeze', columns: 'freeze', types: 'freeze' })
    expect(d.frozen).toBeUndefined()
    expect(d.changes).toEqual([])
    expect(applyDecision(m, d, ['id'], 'freeze').batch!.names).toEqual(['id'])
  })
})

import { describe, expect, it } from 'vitest'
import { memory, op, sync, type Message, type Sink } from '../../src/index.js'

const add: Message = { kind: 'schema', table: 't', change: { type: 'add_column', column: 'x', columnType: 'STRING' } }

describe('schemaChange counting in sync()', () => {
  it('counts what the sink applied: a schema message that changes nothing is not a change', async () => {
    const events: unknown[] = []
    const r = await sync({
      destination: memory(),
      source: { tables: () => [{ table: 't', primaryKey: ['id'] }], async *read() { yield op.upsert('t', { id: 1, x: 'a' }); yield add; yield add; yield op.checkpoint({}) } },
      on: { schemaChange: (e) => events.push(e) },
    })
    expect(r.schemaChanges).toBe(1) // create_table; x already exists
    expect(events).toHaveLength(1)
  })

  it('counts a schema message once when the sink does not report what it applied', async () => {
    const inner = memory()
    const quiet: Sink = { ...inner, name: 'quiet', write: async (args) => void (await inner.write(args)) }
    const r = await sync({ destination: quiet, source: { async *read() { yield add; yield op.checkpoint({}) } } })
    expect(r.schemaChanges).toBe(1)
  })
})

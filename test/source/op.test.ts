import { describe, expect, it } from 'vitest'
import { op } from '../../src/index.js'

describe('op.truncate', () => {
  it("defaults to a truncate applied when the sync succeeds; when: 'checkpoint' applies it with the next checkpoint", () => {
    expect(op.truncate('t')).toEqual({ kind: 'truncate', table: 't' })
    expect(op.truncate('t', { when: 'success' })).toEqual({ kind: 'truncate', table: 't' })
    expect(op.truncate('t', { when: 'checkpoint' })).toEqual({ kind: 'truncate', table: 't', when: 'checkpoint' })
  })

  it('refuses a when it does not know, and unknown options, instead of deferring the truncate silently', () => {
    expect(() => op.truncate('t', { when: 'now' } as never)).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining('"now"') }))
    expect(() => op.truncate('t', { whenn: 'checkpoint' } as never)).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining('`whenn`') }))
  })
})

describe('a hand-built truncate message', () => {
  it('with a when sync() does not know fails the sync as CONFIG_INVALID, and the rows before it are not deleted', async () => {
    const { memory, sync } = await import('../../src/index.js')
    const destination = memory()
    const report = await sync({
      source: (async function* () {
        yield op.upsert('t', [{ id: 1 }])
        yield op.checkpoint({ n: 1 })
        yield { kind: 'truncate', table: 't', when: 'checkpoint ' } as never
        yield op.checkpoint({ n: 2 })
      })(),
      destination,
    })
    expect(report.status).toBe('failed')
    expect(report.error).toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('"checkpoint "') })
    expect((await destination.read!({ table: 't' })).map((r) => r._sluice_deleted)).toEqual([false])
  })
})

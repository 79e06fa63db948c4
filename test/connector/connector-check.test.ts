import { describe, expect, it } from 'vitest'
import { createConnector, memory, op, type CheckResult, type Source } from '../../src/index.js'
import { silentLogger } from '../../src/log/logger.js'

/** A source whose check answers what `answers` holds next, counting checks and reads. */
function checkedSource(answers: CheckResult[][]): Source & { checks: number; reads: number } {
  const source = {
    checks: 0,
    reads: 0,
    async check() {
      source.checks++
      return answers.shift() ?? [{ name: 'api', ok: true, message: 'fine' }]
    },
    async *read() {
      source.reads++
      yield op.upsert('items', [{ id: source.reads }])
      yield op.checkpoint({ n: source.reads })
    },
  }
  return source
}

const bad: CheckResult[] = [{ name: 'api: first request', ok: false, message: '401 from api.example.com: the credentials were rejected', hint: 'check `api_token` in configuration.json', code: 'HTTP_STATUS' }]

describe('createConnector({ check })', () => {
  it("'first': a failed check runs no sync and reports CHECK_FAILED; once one passes, later syncs don't check", async () => {
    const source = checkedSource([bad])
    const sink = memory()
    const connector = createConnector({ id: 'checked', source, destination: sink, check: 'first', logger: silentLogger })
    const skipped: unknown[] = []
    connector.on('syncSkipped', (e) => void skipped.push(e))
    const first = await connector.sync()
    expect(first).toMatchObject({ status: 'skipped', reason: 'CHECK_FAILED', checks: expect.arrayContaining([expect.objectContaining({ ok: false, code: 'HTTP_STATUS' })]) })
    expect(first.status === 'skipped' && first.message).toContain('api: first request: 401 from api.example.com: the credentials were rejected (check `api_token` in configuration.json)')
    expect(source.reads).toBe(0)
    expect(sink.rows('items')).toEqual([])
    expect(skipped).toHaveLength(1)
    expect(await connector.sync()).toMatchObject({ status: 'succeeded' })
    expect(await connector.sync()).toMatchObject({ status: 'succeeded' })
    expect(source.checks).toBe(2)
    expect(source.reads).toBe(2)
  })

  it("'always': checks before every sync", async () => {
    const source = checkedSource([])
    const connector = createConnector({ id: 'always', source, destination: memory(), check: 'always', logger: silentLogger })
    await connector.sync()
    await connector.sync()
    expect(source.checks).toBe(2)
  })

  it('by default runs no checks, and refuses a check mode it does not know', async () => {
    const source = checkedSource([bad])
    expect(await createConnector({ id: 'off', source, destination: memory(), logger: silentLogger }).sync()).toMatchObject({ status: 'succeeded' })
    expect(source.checks).toBe(0)
    expect(() => createConnector({ id: 'x', source, destination: memory(), check: 'once' as never })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining('createConnector.check') }))
  })
})

import { describe, expect, it } from 'vitest'
import { check, connector, op } from '../../src/index.js'

const update = async function* () {
  yield op.checkpoint({})
}

describe('check() of a connector()', () => {
  it('fails missing required keys by name, without calling the connector\'s check', async () => {
    let called = 0
    const source = connector({ id: 'c', required: ['api_token', 'account'], update, check: async () => (called++, []) })
    const report = await check({ source, configuration: { account: 'acme' } })
    expect(report.results).toEqual([{ name: 'configuration', ok: false, message: 'missing `api_token` in configuration.json', hint: 'add `api_token` to configuration.json', code: 'CONFIGURATION_KEY' }])
    expect(called).toBe(0)
  })

  it('runs the connector\'s own check after the required keys, and redacts the token it quotes', async () => {
    const source = connector({
      id: 'c',
      required: ['api_token'],
      update,
      check: async (configuration) => [{ name: 'api: login', ok: false, message: `token ${configuration.api_token} was rejected` }],
    })
    const report = await check({ source, configuration: { api_token: 'tok_connector_123456' } })
    expect(report.results).toEqual([
      { name: 'configuration', ok: true, message: '`api_token` present' },
      { name: 'api: login', ok: false, message: 'token *** was rejected' },
    ])
  })

  it('says a connector without check() is not checked', async () => {
    const report = await check({ source: connector({ id: 'plain', update }) })
    expect(report).toEqual({ ok: true, results: [{ name: 'connector plain', ok: true, skipped: true, message: 'not checked: the connector defines no check()' }] })
  })

  it('refuses a check that is not a function', () => {
    expect(() => connector({ id: 'c', update, check: 'yes' as never })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }))
  })
})

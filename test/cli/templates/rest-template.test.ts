import { readFileSync, writeFileSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { faultApi, type FaultApi } from '../../support/fault-api.js'
import { calls, runCli, tempDir, warehouseValue } from '../run-cli.js'

const TOKEN = 'tok-rest-template-s3cret'

describe('sluice init --template rest → debug against a local REST API', () => {
  const cwd = tempDir()
  const dir = join(cwd, 'shop_api')
  let api: FaultApi
  beforeAll(async () => {
    api = await faultApi({ rows: 250, auth: { bearer: TOKEN } })
  })
  afterAll(async () => {
    await api.close()
    await rm(cwd, { recursive: true, force: true })
  })
  const count = (sql: string) => warehouseValue(dir, sql)

  it('scaffolds a rest() connector whose configuration.json holds only strings, and a README naming each key', async () => {
    const result = await runCli(['init', 'shop_api', '--template', 'rest'], { cwd })
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expect(readFileSync(join(dir, 'connector.ts'), 'utf8')).toContain("configuredSource('shop_api'")
    const configuration = JSON.parse(readFileSync(join(dir, 'configuration.json'), 'utf8')) as Record<string, unknown>
    expect(Object.keys(configuration)).toEqual(expect.arrayContaining(['base_url', 'token']))
    expect(Object.values(configuration).every((v) => typeof v === 'string')).toBe(true)
    const readme = readFileSync(join(dir, 'README.md'), 'utf8')
    for (const key of Object.keys(configuration)) expect(readme).toContain(`\`${key}\``)
    expect(readme).toContain('npx sluice debug shop_api')
  })

  it('debug pages through every order with the bearer token, and the token appears nowhere in the output or state', async () => {
    writeFileSync(join(dir, 'configuration.json'), JSON.stringify({ base_url: `${api.url}/cursor`, token: TOKEN, page_size: '100' }))
    const result = await runCli(['debug', 'shop_api'], { cwd })
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expect(calls(result.stdout, 'Upserts')).toBe(250)
    expect(count('SELECT COUNT(*) FROM orders')).toBe(250)
    // Three pages of at most 100, following the cursor token.
    expect(api.log.map((r) => r.query.limit)).toEqual(['100', '100', '100'])
    expect(api.log.slice(1).every((r) => typeof r.query.cursor === 'string')).toBe(true)
    const state = readFileSync(join(dir, 'files', 'state.json'), 'utf8')
    expect(JSON.parse(state)).toEqual({ streams: { orders: { cursor: api.rows().at(-1)!.updated_at, keys: ['250'] } } })
    for (const text of [result.stdout, result.stderr, state]) expect(text).not.toContain(TOKEN)
  })

  it('a second debug asks only for orders changed since the saved cursor and writes none', async () => {
    api.resetLog()
    const result = await runCli(['debug', 'shop_api'], { cwd })
    expect(result.code).toBe(0)
    expect(api.log).toHaveLength(1)
    expect(api.log[0]!.query.updated_since).toBe(api.rows().at(-1)!.updated_at)
    expect(calls(result.stdout, 'Upserts')).toBe(0)
    expect(count('SELECT COUNT(*) FROM orders')).toBe(250)
  })

  it('after orders change and new ones arrive, debug reads only those', async () => {
    api.update([5, 7])
    api.insert(3)
    const result = await runCli(['debug', 'shop_api'], { cwd })
    expect(result.code).toBe(0)
    expect(calls(result.stdout, 'Upserts')).toBe(5)
    expect(count('SELECT COUNT(*) FROM orders')).toBe(253)
    expect(count('SELECT name FROM orders WHERE id = 5')).toMatch(/ v1$/)
  })

  it('a wrong token fails the sync with the HTTP status, without echoing the token', async () => {
    writeFileSync(join(dir, 'configuration.json'), JSON.stringify({ base_url: `${api.url}/cursor`, token: 'wrong-token-value' }))
    const result = await runCli(['debug', 'shop_api'], { cwd })
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/error \[HTTP_STATUS\]: .*401/)
    expect(result.stderr + result.stdout).not.toContain('wrong-token-value')
  })

  it('a configuration without base_url names the missing key', async () => {
    writeFileSync(join(dir, 'configuration.json'), JSON.stringify({ token: TOKEN }))
    const result = await runCli(['debug', 'shop_api'], { cwd })
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/error \[CONFIGURATION_KEY\]: .*"base_url"/)
  })
})

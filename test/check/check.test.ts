import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { check, configuredSource, memory, sqlite, type CheckReport } from '../../src/index.js'
import { duckdb } from '../../src/duckdb.js'
import { files } from '../../src/files.js'
import { offset } from '../../src/source/rest/offset-paginator.js'
import { rest } from '../../src/source/rest/rest-source.js'
import { faultApi, type FaultApi } from '../support/fault-api.js'

const TOKEN = 'tok_CHECK_secret_8c1e55'
const WRONG = 'tok_CHECK_wrong_93a0f1'

let api: FaultApi | undefined
const dirs: string[] = []
afterEach(async () => {
  await api?.close()
  api = undefined
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

function ordersApi(baseUrl: string) {
  return configuredSource('shop', (configuration) =>
    rest({
      baseUrl,
      auth: { bearer: configuration.api_token ?? '' },
      streams: [
        { table: 'orders', path: '/offset/orders', records: 'data', primaryKey: ['id'], paginate: offset({ limit: 100 }) },
        { table: 'lines', path: '/offset/orders/{id}/lines', parent: 'orders', parentFields: { order_id: 'id' }, records: 'data' },
      ],
    }),
  )
}

function expectNoSecret(report: CheckReport, ...secrets: string[]): void {
  const text = JSON.stringify(report)
  for (const secret of secrets) expect(text).not.toContain(secret)
}

describe('check() of a REST source', () => {
  it('passes with a valid token, asking the first page of each stream with a limit of 1', async () => {
    api = await faultApi({ rows: 20, auth: { bearer: TOKEN } })
    const report = await check({ source: ordersApi(api.url), configuration: { api_token: TOKEN } })
    expect(report.ok).toBe(true)
    const [orders, lines] = report.results
    expect(orders).toMatchObject({ name: 'orders: first request', ok: true })
    expect(orders?.message).toMatch(/answered \/offset\/orders with 1 record$/)
    expect(lines).toMatchObject({ name: 'lines: first request', ok: true, skipped: true })
    expect(api.log).toHaveLength(1)
    expect(api.log[0]?.query.limit).toBe('1')
  })

  it('says a 401 means the token was rejected and names the configuration key, never the token', async () => {
    api = await faultApi({ rows: 20, auth: { bearer: TOKEN } })
    const report = await check({ source: ordersApi(api.url), configuration: { api_token: WRONG } })
    expect(report.ok).toBe(false)
    const host = new URL(api.url).host
    expect(report.results[0]).toMatchObject({
      ok: false,
      code: 'HTTP_STATUS',
      message: `401 from ${host}: the credentials were rejected`,
      hint: 'check `api_token` in configuration.json (expired, revoked or mistyped?)',
    })
    expectNoSecret(report, WRONG, TOKEN)
  })

  it('says a host that does not resolve is a DNS failure', async () => {
    const report = await check({ source: ordersApi('http://no-such-host.invalid'), configuration: { api_token: TOKEN } })
    expect(report.results[0]).toMatchObject({ ok: false, code: 'HTTP_NETWORK', message: 'DNS: no-such-host.invalid was not found' })
    expectNoSecret(report, TOKEN)
  })

  it('says a refused connection is a TCP failure with the host and port', async () => {
    // A port that was just free: nothing listens there.
    const server = createServer()
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
    const port = (server.address() as { port: number }).port
    await new Promise((done) => server.close(done))
    const report = await check({ source: ordersApi(`http://127.0.0.1:${port}`), configuration: { api_token: TOKEN } })
    expect(report.results[0]).toMatchObject({ ok: false, message: `TCP: 127.0.0.1:${port} refused the connection` })
    expect(report.results[0]?.hint).toContain('firewall')
  })

  it('says a path the API does not have is a 404 to fix in the stream', async () => {
    api = await faultApi({ rows: 5 })
    const source = rest({ baseUrl: api.url, streams: [{ table: 'orders', path: '/nowhere/orders', records: 'data' }] })
    const report = await check({ source })
    expect(report.results[0]?.message).toMatch(/^404 from .*: \/nowhere\/orders does not exist$/)
  })

  it('reports a 500 as a server failure, not a credentials problem', async () => {
    api = await faultApi({ rows: 5, auth: { bearer: TOKEN } })
    api.fault(1, { kind: 'status', status: 503 })
    const report = await check({ source: ordersApi(api.url), configuration: { api_token: TOKEN } })
    expect(report.results[0]?.message).toMatch(/^503 from .*: the server failed$/)
  })
})

describe('check() of a destination', () => {
  const tmp = () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-check-'))
    dirs.push(dir)
    return dir
  }

  it('passes a SQLite file in a writable directory, without creating it', async () => {
    const dir = tmp()
    const report = await check({ destination: sqlite({ path: join(dir, 'warehouse.db') }) })
    expect(report).toMatchObject({ ok: true, results: [{ name: 'sqlite: file', ok: true }] })
    expect(report.results[0]?.message).toContain('will be created')
  })

  it('fails a SQLite file whose directory does not exist', async () => {
    const dir = tmp()
    const report = await check({ destination: sqlite({ path: join(dir, 'missing', 'warehouse.db') }) })
    expect(report.ok).toBe(false)
    expect(report.results[0]).toMatchObject({ ok: false, code: 'DESTINATION_UNAVAILABLE', message: `directory ${join(dir, 'missing')} does not exist` })
  })

  it('fails a SQLite path that is a directory, and passes an existing warehouse file', async () => {
    const dir = tmp()
    mkdirSync(join(dir, 'taken.db'))
    const taken = await check({ destination: sqlite({ path: join(dir, 'taken.db') }) })
    expect(taken.results[0]).toMatchObject({ ok: false, message: `${join(dir, 'taken.db')} is a directory` })
    writeFileSync(join(dir, 'warehouse.db'), '')
    const existing = await check({ destination: sqlite({ path: join(dir, 'warehouse.db'), thread: true }) })
    expect(existing.results[0]).toMatchObject({ ok: true, message: `${join(dir, 'warehouse.db')} exists and is writable` })
  })

  it('checks a DuckDB file as a SQLite one, without creating it', async () => {
    const dir = tmp()
    expect((await check({ destination: duckdb({ path: join(dir, 'w.duckdb') }) })).results[0]).toMatchObject({ name: 'duckdb: file', ok: true })
    expect((await check({ destination: duckdb({ path: join(dir, 'no', 'w.duckdb') }) })).results[0]).toMatchObject({ ok: false, message: `directory ${join(dir, 'no')} does not exist` })
    expect(readdirSync(dir)).toEqual([])
  })

  it('fails a files destination under a path that is a file', async () => {
    const dir = tmp()
    writeFileSync(join(dir, 'plain'), 'x')
    const report = await check({ destination: files({ dir: join(dir, 'plain', 'lake'), format: 'ndjson' }) })
    expect(report.results[0]).toMatchObject({ ok: false, message: `${join(dir, 'plain')} is a file, not a directory` })
  })

  it('passes a files destination whose directory will be created', async () => {
    const dir = tmp()
    mkdirSync(join(dir, 'a'))
    const report = await check({ destination: files({ dir: join(dir, 'a', 'b', 'lake'), format: 'ndjson' }) })
    expect(report.results[0]).toMatchObject({ ok: true })
  })

  it('marks a destination without check() as skipped, not passed', async () => {
    const report = await check({ destination: memory() })
    expect(report.results).toEqual([{ name: 'destination memory', ok: true, skipped: true, message: 'not checked: the destination has no check()' }])
  })

  it('turns a check that throws into a failed result', async () => {
    const report = await check({ source: { read: async function* () {}, check: async () => { throw new Error('boom') } } })
    expect(report).toEqual({ ok: false, results: [{ name: 'source', ok: false, message: 'boom' }] })
  })

  it('redacts secret configuration values a check quotes', async () => {
    const report = await check({
      source: { read: async function* () {}, check: async ({ configuration }) => [{ name: 'echo', ok: false, message: `server said: bad key ${configuration.client_secret}` }] },
      configuration: { client_secret: 'cs_live_0042_abcdef' },
    })
    expect(report.results[0]?.message).toBe('server said: bad key ***')
  })

  it('refuses an unknown option and a call with nothing to check', async () => {
    await expect(check({ destination: memory(), destinaton: 1 } as never)).rejects.toMatchObject({ code: 'CONFIG_INVALID' })
    await expect(check({})).rejects.toMatchObject({ code: 'CONFIG_INVALID' })
  })
})

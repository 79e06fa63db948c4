import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { apiKeyAuth, exponentialBackoff, fakeClock, httpClient, sqlite, sync, type HttpClient } from '../../../src/index.js'
import { idCursor } from '../../../src/source/id-cursor/id-cursor.js'
import { localServer, sendJson, type LocalServer } from '../../http/local-server.js'

const KEY = 'sk_live_9f8e7d6c5b4a'
const POISONED = 777
const rows = Array.from({ length: 1500 }, (_, i) => ({ id: (i + 1) * 2, email: `u${i}@mail.io`, amount: i / 4 }))

let server: LocalServer
let api: HttpClient
let dir: string

beforeAll(async () => {
  server = await localServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x')
    if (url.searchParams.get('api_key') !== KEY) return sendJson(res, 401, { error: 'bad key' })
    if (url.pathname === '/orders/max') return sendJson(res, 200, { max: rows.at(-1)!.id })
    const after = Number(url.searchParams.get('after'))
    const before = url.searchParams.has('before') ? Number(url.searchParams.get('before')) : Infinity
    const page = rows.filter((r) => r.id > after && r.id < before).slice(0, Number(url.searchParams.get('limit')))
    if (page.some((r) => r.id === POISONED * 2)) return sendJson(res, 500, { error: `cannot render order ${POISONED * 2}` })
    return sendJson(res, 200, { data: page })
  })
  api = httpClient({ baseUrl: server.url, auth: apiKeyAuth({ key: KEY, in: 'query', name: 'api_key' }) })
  dir = mkdtempSync(join(tmpdir(), 'sluice-idcursor-'))
})

afterAll(async () => {
  await api.close()
  await server.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('idCursor over HTTP into SQLite', () => {
  it('lands every row but the failing one, records it with its redacted URL, and never stores the key', async () => {
    const path = join(dir, 'warehouse.db')
    const report = await sync({
      destination: sqlite({ path }),
      source: idCursor({
        table: 'orders',
        span: 250,
        concurrency: 4,
        onError: 'continue',
        clock: fakeClock({ autoAdvance: true }),
        retry: exponentialBackoff({ attempts: 2 }),
        maxId: async ({ signal }) => (await api.requestJson<{ max: number }>({ path: '/orders/max', signal })).data.max,
        fetch: async ({ after, before, size, signal }) =>
          (await api.requestJson<{ data: object[] }>({ path: '/orders', query: { after, before, limit: size }, signal })).data.data,
      }),
    })
    expect(report.status).toBe('succeeded')
    expect(report.errors).toBe(1)

    const db = new Database(path, { readonly: true })
    try {
      const landed = db.prepare('SELECT id, email, amount FROM orders ORDER BY id').all()
      expect(landed).toEqual(rows.filter((r) => r.id !== POISONED * 2))
      const errors = db.prepare('SELECT * FROM _sluice_errors').all() as Record<string, unknown>[]
      expect(errors).toHaveLength(1)
      const text = JSON.stringify(errors)
      expect(text).toContain('api_key=[REDACTED]')
      expect(text).toContain(`cannot render order ${POISONED * 2}`)
      const everything = JSON.stringify([errors, db.prepare('SELECT * FROM _sluice_state').all(), report])
      expect(everything).not.toContain(KEY)
    } finally {
      db.close()
    }
  })
})

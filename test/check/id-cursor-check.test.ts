import { describe, expect, it } from 'vitest'
import { check, idCursor, SluiceError, timeWindows } from '../../src/index.js'

describe('check() of idCursor and timeWindows', () => {
  it('idCursor: calls fetch once for 1 row after start', async () => {
    const calls: unknown[] = []
    const source = idCursor({ table: 'orders', start: 10, fetch: async ({ after, size }) => (calls.push({ after, size }), [{ id: after + 1 }]) })
    const report = await check({ source })
    expect(report.results).toEqual([{ name: 'orders: first fetch', ok: true, message: 'fetch of 1 row after 10 returned 1 row' }])
    expect(calls).toEqual([{ after: 10, size: 1 }])
  })

  it('idCursor: an HTTP 401 from fetch is put in words, any other throw keeps its message', async () => {
    const denied = idCursor({
      table: 'orders',
      fetch: async () => {
        throw new SluiceError({ code: 'HTTP_STATUS', message: 'GET https://api.example.com/orders returned 401', context: { status: 401, url: 'https://api.example.com/orders' } })
      },
    })
    expect((await check({ source: denied })).results[0]).toMatchObject({ ok: false, message: '401 from api.example.com: the credentials were rejected' })
    const broken = idCursor({ table: 'orders', fetch: async () => { throw new Error('bad gateway') } })
    expect((await check({ source: broken })).results[0]).toMatchObject({ ok: false, message: 'bad gateway' })
  })

  it('timeWindows: says it is not checked rather than fetching a whole window', async () => {
    let fetched = 0
    const source = timeWindows({ table: 'events', start: '2026-01-01', fetch: async () => (fetched++, []) })
    const report = await check({ source })
    expect(report.ok).toBe(true)
    expect(report.results[0]).toMatchObject({ name: 'events: first window', skipped: true })
    expect(fetched).toBe(0)
  })
})

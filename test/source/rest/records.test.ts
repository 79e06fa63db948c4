import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { memory } from '../../../src/index.js'
import { rest } from '../../../src/source/rest/rest-source.js'
import type { RestStream } from '../../../src/source/rest/rest-options.js'
import { localServer, sendJson, type LocalServer } from '../../http/local-server.js'
import { destRows, expectSucceeded, syncInto } from './rest-fixtures.js'

let server: LocalServer
beforeAll(async () => {
  server = await localServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname
    if (path === '/array') return sendJson(res, 200, [{ id: 1 }, { id: 2 }])
    if (path === '/me') return sendJson(res, 200, { id: 7, name: 'Ada', roles: ['admin'] })
    if (path === '/envelope') return sendJson(res, 200, { items: [{ id: 1 }], meta: { total: 1 } })
    if (path === '/nested') return sendJson(res, 200, { result: { rows: [{ id: 3 }] } })
    if (path === '/scalars') return sendJson(res, 200, { data: [1, 2] })
    return sendJson(res, 200, { data: null })
  })
})
afterAll(() => server.close())

const read = (stream: Partial<RestStream>) =>
  syncInto(rest({ baseUrl: server.url, retry: false, streams: [{ table: 't', path: '/array', primaryKey: ['id'], ...stream }] }), memory())

describe('where the records are', () => {
  it('takes a body that is an array as the records', async () => {
    expectSucceeded(await read({ path: '/array' }))
  })

  it('follows a dot path', async () => {
    const sink = memory()
    expectSucceeded(await syncInto(rest({ baseUrl: server.url, streams: [{ table: 't', path: '/nested', records: 'result.rows', primaryKey: ['id'] }] }), sink))
    expect(destRows(sink, 't')).toEqual([{ id: 3 }])
  })

  it("writes one object as one record with records: '' (arrays inside it become JSON)", async () => {
    const sink = memory()
    expectSucceeded(await syncInto(rest({ baseUrl: server.url, streams: [{ table: 'me', path: '/me', records: '', primaryKey: ['id'] }] }), sink))
    expect(destRows(sink, 'me')).toEqual([{ id: 7, name: 'Ada', roles: ['admin'] }])
  })

  it('refuses to guess on an envelope, naming its array fields and the option to set', async () => {
    const report = await read({ path: '/envelope' })
    expect(report.error).toMatchObject({ code: 'HTTP_BODY', message: expect.stringContaining("set streams[0].records to the path of the records (e.g. 'items')") })
  })

  it('fails with HTTP_BODY when the path leads nowhere, listing the keys there are', async () => {
    const report = await read({ path: '/envelope', records: 'data' })
    expect(report.error).toMatchObject({ code: 'HTTP_BODY', message: expect.stringMatching(/no records array at `data`.*top-level keys: items, meta/) })
  })

  it('treats a null records field as an empty page', async () => {
    expectSucceeded(await read({ path: '/null', records: 'data' }))
  })

  it('fails with HTTP_BODY naming the record when a record is not an object', async () => {
    const report = await read({ path: '/scalars', records: 'data' })
    expect(report.error).toMatchObject({ code: 'HTTP_BODY', message: expect.stringContaining('record 0 of the page'), context: { table: 't', index: 0 } })
  })
})

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { memory, type Message } from '../../../src/index.js'
import { offset } from '../../../src/source/rest/offset-paginator.js'
import { rest } from '../../../src/source/rest/rest-source.js'
import { faultApi, type FaultApi } from '../../support/fault-api.js'
import { expectSameAsSource, expectSucceeded, ordersStream, syncInto } from './rest-fixtures.js'

const CONNECTIONS = 2
const ROUNDS = CONNECTIONS * 2 + 1
let api: FaultApi
beforeAll(async () => {
  api = await faultApi({ rows: 50 })
})
afterAll(() => api.close())

const source = (concurrency = 1) =>
  rest({
    baseUrl: api.url,
    connections: CONNECTIONS,
    concurrency,
    streams: [
      ordersStream({ paginate: offset({ limit: 5 }) }),
      ordersStream({ table: 'orders_by_page', path: '/page/orders', paginate: { type: 'pageNumber', size: 5, sizeParam: 'per_page' } }),
      ordersStream({ table: 'orders_by_cursor', path: '/cursor/orders', paginate: { type: 'cursor', next: 'meta.next_cursor', limit: 5 } }),
    ],
  })

async function breakAfterFirstPage(concurrency: number): Promise<void> {
  const controller = new AbortController()
  const messages = source(concurrency).read({ state: undefined, signal: controller.signal, configuration: {}, recordError: () => {} })
  let seen = 0
  for await (const message of messages as AsyncIterable<Message>) {
    if (message.kind === 'records' && ++seen === 1) break // the next page (and other streams') requests are in flight
  }
}

describe('leaving a REST sync early releases its sockets', () => {
  it(`breaks out ${ROUNDS} times over a pool of ${CONNECTIONS} while the next page is slow, without hanging`, { timeout: 10_000 }, async () => {
    for (let i = 0; i < ROUNDS; i++) {
      api.resetLog()
      api.fault(2, { kind: 'slow', ms: 60_000 }) // the prefetched page hangs: only aborting it lets the break finish
      await breakAfterFirstPage(1)
    }
    api.resetLog()
    const sink = memory()
    expectSucceeded(await syncInto(source(), sink))
    expectSameAsSource(sink, api)
  })

  it(`breaks out ${ROUNDS} times with streams read concurrently`, { timeout: 10_000 }, async () => {
    for (let i = 0; i < ROUNDS; i++) {
      api.resetLog()
      for (let n = 2; n <= 6; n++) api.fault(n, { kind: 'slow', ms: 60_000 })
      await breakAfterFirstPage(3)
    }
    api.resetLog()
    expectSucceeded(await syncInto(source(3)))
  })

  it('a sync aborted mid-stream stops at a checkpoint and the next one finishes the job', { timeout: 10_000 }, async () => {
    const sink = memory()
    for (let i = 0; i < ROUNDS; i++) {
      api.resetLog()
      const controller = new AbortController()
      const report = await syncInto(source(), sink, { signal: controller.signal, on: { checkpoint: () => controller.abort() } })
      expect(report.status).toBe('stopped')
    }
    api.resetLog()
    expectSucceeded(await syncInto(source(), sink))
    expectSameAsSource(sink, api)
  })

  it('closes the server side of abandoned sockets', { timeout: 10_000 }, async () => {
    api.resetLog()
    api.fault(2, { kind: 'slow', ms: 60_000 })
    await breakAfterFirstPage(1)
    for (let waited = 0; api.openSockets() > 0 && waited < 5_000; waited += 20) await new Promise((r) => setTimeout(r, 20))
    expect(api.openSockets()).toBe(0)
  })
})

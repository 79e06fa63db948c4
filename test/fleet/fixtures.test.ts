import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { Redis } from 'ioredis'
import { expect, it } from 'vitest'
import { startPrivateRedis } from '../support/private-redis.js'
import { expectedContentHash, fleetApi, fleetItem, type FleetItem } from './support/fleet-api.js'
import { sync } from '../../src/index.js'
import { postgres } from '../../src/postgres.js'
import { dropSchema, itemsSource, MAR_MONTH_MS, PG_URL, uniqueSchema } from './support/fleet-connector.js'
import { marOf, savedStates, syncRuns, tableSummary } from './support/destination-check.js'

/** The fleet proofs stand on these two fixtures: a Redis whose jobs survive a restart, and an API that serves every id once. */

it('private redis keeps its data across restart() on the same port, and stop() deletes it', async () => {
  const redis = await startPrivateRedis()
  let dir: string | undefined
  try {
    const client = new Redis({ host: redis.host, port: redis.port, maxRetriesPerRequest: null, lazyConnect: true })
    await client.connect()
    try {
      await client.set('job', 'survives')
      expect(await client.config('GET', 'maxmemory-policy')).toEqual(['maxmemory-policy', 'noeviction'])
      expect(await client.config('GET', 'appendfsync')).toEqual(['appendfsync', 'always'])
      dir = ((await client.config('GET', 'dir')) as string[])[1]
    } finally {
      client.disconnect()
    }
    await redis.restart()
    const again = new Redis({ host: redis.host, port: redis.port, lazyConnect: true })
    await again.connect()
    try {
      expect(await again.get('job')).toBe('survives')
    } finally {
      again.disconnect()
    }
  } finally {
    await redis.stop()
  }
  expect(dir && existsSync(dir)).toBe(false)
})

it('the fleet API serves ids in (after, before) ascending, pages of `limit`, and its rows hash as expectedContentHash', async () => {
  const api = await fleetApi({ rows: 2_345 })
  try {
    const get = async (query: string, worker = 'w1'): Promise<FleetItem[]> => {
      const res = await fetch(`${api.url}/items?${query}`, { headers: { 'x-worker': worker } })
      expect(res.status).toBe(200)
      return (await res.json()) as FleetItem[]
    }
    expect(await (await fetch(`${api.url}/max`)).json()).toEqual({ max: 2_345 })
    expect((await get('after=10&before=14&limit=500')).map((r) => r.id)).toEqual([11, 12, 13])
    expect(api.lastRequestBy().get('w1')).toMatchObject({ after: 10, before: 14, inRange: 1 })
    await get('after=11&before=14&limit=500')
    expect(api.lastRequestBy().get('w1')?.inRange).toBe(2)
    expect(await get('after=2340&limit=500')).toEqual([2341, 2342, 2343, 2344, 2345].map(fleetItem))
    expect((await fetch(`${api.url}/items?after=x`)).status).toBe(400)

    const hash = createHash('md5')
    let count = 0
    for (let after = 0; ; ) {
      const page = await get(`after=${after}&limit=500`)
      if (page.length === 0) break
      for (const r of page) hash.update(`${count++ === 0 ? '' : ','}${r.id}:${r.name}:${r.qty}`)
      after = page.at(-1)!.id
    }
    expect(count).toBe(2_345)
    expect(hash.digest('hex')).toBe(expectedContentHash(2_345))
    expect(expectedContentHash(2_344)).not.toBe(expectedContentHash(2_345))
  } finally {
    await api.close()
  }
})

it('one single-process sync of the items connector reads back as the source: summary, state { after: max }, exact MAR', async () => {
  const rows = 3_001
  const api = await fleetApi({ rows })
  const schema = uniqueSchema('fixture')
  try {
    const report = await sync({
      source: itemsSource({ id: 'items', apiUrl: api.url, schema, span: 1_000, concurrency: 2 }),
      destination: postgres({ connection: PG_URL, schema }),
      connectorId: 'items',
      mar: { mode: 'exact', clock: { now: () => MAR_MONTH_MS } },
    })
    expect(report.status, JSON.stringify(report.error)).toBe('succeeded')
    expect(await tableSummary(schema)).toEqual({ count: rows, distinct: rows, minId: 1, maxId: rows, hash: expectedContentHash(rows) })
    expect((await savedStates(schema)).get('items')).toEqual({ after: rows })
    expect(await marOf(schema, 'items')).toEqual({ items: rows })
    expect((await syncRuns(schema, 'items')).map((r) => [r.status, r.rows])).toEqual([['succeeded', rows]])
  } finally {
    await api.close()
    await dropSchema(schema)
  }
})

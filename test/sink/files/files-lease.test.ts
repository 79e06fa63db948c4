import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { files } from '../../../src/files.js'

const root = mkdtempSync(join(tmpdir(), 'sluice-files-lease-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))
let n = 0
const lake = () => join(root, `lake${n++}`)

// The connector store conformance runs over every files format in test/sink/matrix/connector-store.test.ts.
describe('files sink: leases as numbered versions created by hard link', () => {
  it('of 16 holders racing for a free lease (separate sink handles) exactly one gets it, and every loser is told who', async () => {
    const dir = lake()
    const results = await Promise.all(
      Array.from({ length: 16 }, (_, i) => files({ dir, format: 'ndjson' }).acquireLease!({ name: 'connector:shop', holder: `h${i}`, ttlMs: 60_000, now: 1000 })),
    )
    const winners = results.flatMap((r, i) => (r.acquired ? [`h${i}`] : []))
    expect(winners).toHaveLength(1)
    for (const r of results) if (!r.acquired) expect(r).toEqual({ acquired: false, holder: winners[0], expiresAt: 61_000 })
  })

  it('racing to take over an expired lease, exactly one wins', async () => {
    const dir = lake()
    await files({ dir, format: 'ndjson' }).acquireLease!({ name: 'connector:shop', holder: 'dead', ttlMs: 1000, now: 0 })
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => files({ dir, format: 'ndjson' }).acquireLease!({ name: 'connector:shop', holder: `h${i}`, ttlMs: 1000, now: 5000 })),
    )
    expect(results.filter((r) => r.acquired)).toHaveLength(1)
    expect(results.filter((r) => !r.acquired && r.holder !== 'dead')).toHaveLength(7)
  })

  it('renewals keep at most two versions on disk and leave no temp files', async () => {
    const dir = lake()
    const sink = files({ dir, format: 'ndjson' })
    for (let t = 0; t < 20; t++) expect(await sink.acquireLease!({ name: 'connector:shop', holder: 'a', ttlMs: 1000, now: t * 100 })).toMatchObject({ acquired: true })
    await sink.releaseLease!({ name: 'connector:shop', holder: 'a' })
    expect(readdirSync(join(dir, '_sluice/leases/connector%3Ashop')).sort()).toEqual(['20.json', '21.json'])
  })

  it('a damaged lease version is STATE_INVALID naming the file', async () => {
    const dir = lake()
    const sink = files({ dir, format: 'ndjson' })
    await sink.acquireLease!({ name: 'connector:shop', holder: 'a', ttlMs: 1000, now: 0 })
    writeFileSync(join(dir, '_sluice/leases/connector%3Ashop/2.json'), '{"holder":')
    await expect(sink.acquireLease!({ name: 'connector:shop', holder: 'b', ttlMs: 1000, now: 0 })).rejects.toMatchObject({ code: 'STATE_INVALID', message: expect.stringContaining('2.json') })
  })
})

describe('files sink: pause flags', () => {
  it('one file per connector (no lost update between connectors); a flag in the older shared connectors.json is still read', async () => {
    const dir = lake()
    mkdirSync(join(dir, '_sluice'), { recursive: true })
    writeFileSync(join(dir, '_sluice/connectors.json'), JSON.stringify({ old: { paused: true, updatedAt: '2026-01-01T00:00:00.000Z' } }))
    const [a, b] = [files({ dir, format: 'ndjson' }), files({ dir, format: 'ndjson' })]
    await Promise.all([a.saveConnector!({ connectorId: 'shop', paused: true }), b.saveConnector!({ connectorId: 'crm', paused: true })])
    expect(await a.loadConnector!({ connectorId: 'crm' })).toMatchObject({ paused: true })
    expect(await b.loadConnector!({ connectorId: 'shop' })).toMatchObject({ paused: true })
    expect(await a.loadConnector!({ connectorId: 'old' })).toEqual({ paused: true, updatedAt: '2026-01-01T00:00:00.000Z' })
    await a.saveConnector!({ connectorId: 'old', paused: false })
    expect(await b.loadConnector!({ connectorId: 'old' })).toMatchObject({ paused: false })
    expect(readdirSync(join(dir, '_sluice')).filter((f) => f.startsWith('connector-')).sort()).toEqual(['connector-crm.json', 'connector-old.json', 'connector-shop.json'])
  })
})

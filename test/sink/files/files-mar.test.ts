import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { files } from '../../../src/files.js'
import { op, sync, type Source } from '../../../src/index.js'
import { marReport } from '../../../src/mar/mar-report.js'
import type { Manifest } from '../../../src/sink/files/commit-log.js'

const root = mkdtempSync(join(tmpdir(), 'sluice-files-mar-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))
let n = 0
const lake = () => join(root, `lake${n++}`)

// The MAR conformance runs over every files format in test/sink/matrix/mar.test.ts.

const NOV = { now: () => Date.UTC(2026, 10, 15) }
const ids = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => ({ id: from + i }))
const manifests = (dir: string): Manifest[] =>
  readdirSync(join(dir, '_sluice')).filter((f) => /^manifest-.+\.json$/.test(f)).map((f) => JSON.parse(readFileSync(join(dir, '_sluice', f), 'utf8')) as Manifest)
const segments = (dir: string) => (existsSync(join(dir, '_sluice/mar')) ? readdirSync(join(dir, '_sluice/mar')).sort() : [])

describe('files sink: MAR commits with the manifest', () => {
  it('each commit writes a segment per metered bucket, listed by the manifest with the count; a reopened sink counts against them', async () => {
    const dir = lake()
    const source = (from: number, to: number): Source => ({ id: 'shop', tables: () => [{ table: 't', primaryKey: ['id'] }], async *read() { yield op.upsert('t', ids(from, to)); yield op.checkpoint({ to }) } })
    await sync({ source: source(1, 3), destination: files({ dir, format: 'csv' }), mar: { clock: NOV } })
    const [m] = manifests(dir)
    expect(m!.mar).toEqual([{ table: 't', month: '2026-11', mode: 'exact', rows: 3, seq: 1, path: expect.stringMatching(/^_sluice\/mar\/.+\.keys$/), keys: 3 }])
    expect(readFileSync(join(dir, m!.mar![0]!.path)).byteLength).toBe(24)
    const again = await sync({ source: source(2, 5), destination: files({ dir, format: 'csv' }), mar: { clock: NOV } })
    expect(again.mar).toEqual({ t: 2 })
    expect(segments(dir)).toHaveLength(2)
    expect(await marReport({ destination: files({ dir, format: 'csv' }) })).toEqual([{ connectorId: 'shop', table: 't', month: '2026-11', rows: 5, approximate: false }])
  })

  it('a commit whose manifest could not be written leaves MAR as it was: its segment is never listed, then removed, and the retry counts once', async () => {
    const dir = lake()
    let blocked = ''
    const source = (failing: boolean): Source => ({
      id: 'shop',
      tables: () => [{ table: 't', primaryKey: ['id'] }],
      async *read() {
        yield op.upsert('t', ids(1, 3))
        yield op.checkpoint({ p: 1 })
        // A directory where the manifest's temp file goes: the next manifest write fails (EISDIR)
        // after the data file and the MAR segment of that commit are already durable.
        if (failing) mkdirSync((blocked = join(dir, '_sluice', readdirSync(join(dir, '_sluice')).find((f) => f.startsWith('manifest-'))! + `.${process.pid}.tmp`)))
        yield op.upsert('t', ids(4, 9))
        yield op.checkpoint({ p: 2 })
      },
    })
    const failed = await sync({ source: source(true), destination: files({ dir, format: 'ndjson' }), mar: { clock: NOV } })
    expect(failed.status).toBe('failed')
    expect(failed.mar).toEqual({ t: 3 })
    expect(segments(dir)).toHaveLength(2) // the second commit's segment is on disk…
    expect(await marReport({ destination: files({ dir, format: 'ndjson' }) })).toMatchObject([{ rows: 3 }]) // …but not counted
    expect(manifests(dir)[0]!.mar).toHaveLength(1)
    rmSync(blocked, { recursive: true })
    const retried = await sync({ source: source(false), destination: files({ dir, format: 'ndjson' }), mar: { clock: NOV } })
    expect(retried).toMatchObject({ status: 'succeeded', mar: { t: 6 } })
    expect(await marReport({ destination: files({ dir, format: 'ndjson' }) })).toMatchObject([{ rows: 9 }])
    const listed = manifests(dir).flatMap((m) => (m.mar ?? []).map((e) => e.path.split('/').pop()))
    expect(segments(dir)).toEqual([...listed].sort()) // the orphan went at the next open
  })

  it('a truncated segment is STATE_INVALID naming the file, not a silent recount', async () => {
    const dir = lake()
    const source: Source = { id: 'shop', tables: () => [{ table: 't', primaryKey: ['id'] }], async *read() { yield op.upsert('t', ids(1, 4)); yield op.checkpoint({ p: 1 }) } }
    await sync({ source, destination: files({ dir, format: 'ndjson' }), mar: { clock: NOV } })
    const [segment] = segments(dir)
    writeFileSync(join(dir, '_sluice/mar', segment!), Buffer.alloc(8))
    const report = await sync({ source, destination: files({ dir, format: 'ndjson' }), mar: { clock: NOV } })
    expect(report.status).toBe('failed')
    expect(report.error).toMatchObject({ code: 'STATE_INVALID', message: expect.stringContaining(segment!) })
  })

  it('budget thresholds are committed in the manifest and do not fire again after a restart', async () => {
    const dir = lake()
    const fired: string[] = []
    const run = (from: number, to: number) =>
      sync({
        source: { id: 'shop', tables: () => [{ table: 't', primaryKey: ['id'] }], async *read() { yield op.upsert('t', ids(from, to)); yield op.checkpoint({ to }) } },
        destination: files({ dir, format: 'ndjson' }),
        mar: { clock: NOV, budget: { monthly: 10, warnAt: [0.5] } },
        on: { marThreshold: (e) => fired.push(`${e.month}@${e.threshold}:${e.rows}`) },
      })
    await run(1, 6)
    await run(7, 8)
    expect(fired).toEqual(['2026-11@0.5:6'])
    expect(manifests(dir).flatMap((m) => m.marThresholds ?? [])).toMatchObject([{ month: '2026-11', threshold: 0.5, rows: 6 }])
  })
})

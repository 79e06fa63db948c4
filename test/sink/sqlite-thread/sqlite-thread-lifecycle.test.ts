import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { op, sqlite, sync } from '../../../src/index.js'

/** Every worker the sink starts, and whether it has exited. */
const started = vi.hoisted(() => [] as { exited: boolean }[])
vi.mock('node:worker_threads', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:worker_threads')>()
  class CountedWorker extends real.Worker {
    constructor(...args: ConstructorParameters<typeof real.Worker>) {
      super(...args)
      const entry = { exited: false }
      started.push(entry)
      this.on('exit', () => (entry.exited = true))
    }
  }
  return { ...real, Worker: CountedWorker }
})

const dir = mkdtempSync(join(tmpdir(), 'sluice-thread-life-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
let n = 0
const threaded = () => sqlite({ path: join(dir, `l${n++}.db`), thread: true })
const rows = (ids: number[]) => op.upsert('t', ids.map((id) => ({ id })))
beforeEach(() => void started.splice(0))

describe('sqlite({ thread: true }) worker lifecycle', () => {
  it('a sink that is never used starts no worker', () => {
    threaded()
    expect(started).toEqual([])
  })

  it('a sync starts one worker and close ends it', async () => {
    const r = await sync({ destination: threaded(), source: { async *read() { yield rows([1]); yield rows([2]); yield op.checkpoint({}) } } })
    expect(r.status).toBe('succeeded')
    expect(started).toEqual([{ exited: true }])
  })

  it('a failed sync ends its worker', async () => {
    const r = await sync({
      destination: threaded(),
      source: { async *read() { yield rows([1]); yield op.checkpoint({}); throw new Error('source broke') } },
    })
    expect(r.status).toBe('failed')
    expect(started).toEqual([{ exited: true }])
  })

  it('an aborted sync ends its worker', async () => {
    const abort = new AbortController()
    const r = await sync({
      destination: threaded(),
      signal: abort.signal,
      grace: '0s',
      source: {
        async *read({ signal }) {
          yield rows([1])
          abort.abort()
          await new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }))
        },
      },
    })
    expect(r.status).toBe('stopped')
    expect(started).toEqual([{ exited: true }])
  })

  it('a sync whose destination cannot open ends its worker', async () => {
    const r = await sync({ destination: sqlite({ path: join(dir, 'missing', 'x.db'), thread: true }), source: { async *read() { yield rows([1]) } } })
    expect(r.status).toBe('failed')
    expect(r.error?.code).toBe('DESTINATION_UNAVAILABLE')
    await vi.waitFor(() => expect(started).toEqual([{ exited: true }]), { timeout: 20_000 })
  })
})

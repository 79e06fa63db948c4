import { createServer } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { FailureStreak } from '../../src/alert/failure-streak.js'
import { logAlert } from '../../src/alert/log-alert.js'
import { webhook } from '../../src/alert/webhook.js'
import type { AlertEvent } from '../../src/alert/alert.js'
import { jsonLogger } from '../../src/log/json-logger.js'
import { constantBackoff } from '../../src/retry/backoff.js'
import { fakeClock } from '../../src/core/clock.js'
import { localServer, type LocalServer } from '../http/local-server.js'

const event = (over: Partial<AlertEvent> = {}): AlertEvent => ({ type: 'syncError', connector: 'shop', at: '2026-11-22T10:00:00.000Z', status: 'failed', error: { code: 'HTTP_STATUS', message: 'GET /orders: 503' }, rows: 0, ...over })

function logLines() {
  const lines: string[] = []
  return { lines, logger: jsonLogger({ level: 'debug', write: (l) => void lines.push(l) }) }
}

/** A port nothing listens on. */
async function deadPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as { port: number }).port
  await new Promise<void>((r) => server.close(() => r()))
  return port
}

let server: LocalServer | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

describe('webhook', () => {
  it('posts the event as JSON with the given headers, retrying 5xx through the HTTP client', async () => {
    let calls = 0
    server = await localServer((_req, res) => {
      res.statusCode = ++calls === 1 ? 503 : 204
      res.end()
    })
    const hook = webhook({ url: `${server.url}/hooks/T0/B0/xyzSECRETxyz`, headers: { authorization: 'Bearer whsec_123456' }, clock: fakeClock({ autoAdvance: true }), retry: constantBackoff({ delayMs: 100, attempts: 3 }) })
    hook.notify(event())
    await hook.flush()
    expect(server.requests).toHaveLength(2)
    expect(server.requests[1]).toMatchObject({ method: 'POST', url: '/hooks/T0/B0/xyzSECRETxyz', headers: { authorization: 'Bearer whsec_123456', 'content-type': 'application/json' } })
    expect(JSON.parse(server.requests[1]!.body)).toEqual(event())
    await hook.close?.()
  })

  it('a dead endpoint: notify returns at once, flush resolves, and the failure is logged without URL path or headers', async () => {
    const port = await deadPort()
    const { lines, logger } = logLines()
    const hook = webhook({ url: `http://127.0.0.1:${port}/services/T0/B0/xyzSECRETxyz?token=qs_secret_1`, headers: { authorization: 'Bearer whsec_123456' }, logger, clock: fakeClock({ autoAdvance: true }), retry: constantBackoff({ delayMs: 10, attempts: 2 }) })
    expect(hook.notify(event())).toBeUndefined() // fire and forget: nothing to await
    await hook.flush()
    const text = lines.join('')
    expect(text).toContain('webhook alert not delivered')
    expect(text).toContain(`http://127.0.0.1:${port}`)
    for (const secret of ['xyzSECRETxyz', 'whsec_123456', 'qs_secret_1', '/services/']) expect(text).not.toContain(secret)
    await hook.close?.()
  })

  it('a full queue drops the oldest alerts (bounded memory) and says so once', async () => {
    let release!: () => void
    const gate = new Promise<void>((r) => (release = r))
    server = await localServer(async (_req, res) => {
      await gate
      res.statusCode = 204
      res.end()
    })
    const { lines, logger } = logLines()
    const hook = webhook({ url: `${server.url}/a`, maxQueue: 2, logger })
    for (let i = 0; i < 5; i++) hook.notify(event({ rows: i }))
    release()
    await hook.flush()
    // #0 was in flight; of 1–4 only the newest two stayed queued.
    expect(server.requests.map((r) => (JSON.parse(r.body) as AlertEvent).rows)).toEqual([0, 3, 4])
    expect(lines.filter((l) => l.includes('queue full'))).toHaveLength(1)
    await hook.close?.()
  })

  it('rejects a bad URL or queue size when built', () => {
    expect(() => webhook({ url: 'not a url' })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }))
    expect(() => webhook({ url: 'ftp://x/y' })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }))
    expect(() => webhook({ url: 'http://x/y', maxQueue: 0 })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }))
  })
})

describe('logAlert', () => {
  it('logs failures as errors, recoveries as info and thresholds as warnings', () => {
    const { lines, logger } = logLines()
    const alert = logAlert({ logger })
    alert.notify(event())
    alert.notify(event({ type: 'syncRecovered', status: 'succeeded', failures: 3 }))
    alert.notify(event({ type: 'marThreshold', threshold: { month: '2026-11', fraction: 0.8, budget: 100, rows: 80, approximate: false } }))
    expect(lines.map((l) => (JSON.parse(l) as { level: string }).level)).toEqual(['error', 'info', 'warn'])
    expect(lines[2]).toContain('80% of the monthly budget')
  })
})

describe('FailureStreak', () => {
  it('alerts once when a streak begins and once when it ends; a restart mid-streak (seeded from history) stays quiet', () => {
    const s = new FailureStreak()
    expect(['failed', 'failed', 'failed', 'succeeded', 'succeeded', 'failed', 'stopped'].map((x) => s.record(x as never))).toEqual([
      'syncError', undefined, undefined, 'syncRecovered', undefined, 'syncError', 'syncRecovered',
    ])
    const resumed = FailureStreak.fromHistory([{ status: 'failed' }, { status: 'failed' }, { status: 'succeeded' }])
    expect(resumed.failures).toBe(2)
    expect(resumed.record('failed')).toBeUndefined()
    expect(resumed.record('succeeded')).toBe('syncRecovered')
  })
})

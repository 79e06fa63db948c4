import { createServer } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { memory, op } from '../../src/index.js'
import type { AlertEvent } from '../../src/alert/alert.js'
import { logAlert } from '../../src/alert/log-alert.js'
import { webhook } from '../../src/alert/webhook.js'
import { createConnector } from '../../src/connector/create-connector.js'
import { jsonLogger } from '../../src/log/json-logger.js'
import { constantBackoff } from '../../src/retry/backoff.js'
import { fakeClock } from '../../src/core/clock.js'
import { localServer, type LocalServer } from '../http/local-server.js'
import { controlled, page } from '../connector/helpers.js'

const TOKEN = 'tok_live_SECRET_4242'
const HOOK_AUTH = 'Bearer whsec_SECRET_9191'

let server: LocalServer | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

function capture() {
  const lines: string[] = []
  return { lines, logger: jsonLogger({ level: 'debug', write: (l) => void lines.push(l) }) }
}

describe('alerts from a connector', () => {
  it('a local webhook receiver gets exactly one alert per failure streak and one on recovery, none carrying a secret', async () => {
    server = await localServer((_req, res) => {
      res.statusCode = 200
      res.end('ok')
    })
    const { lines, logger } = capture()
    let fail = false
    const c = createConnector({
      id: 'shop',
      destination: memory(),
      logger,
      redact: { values: [TOKEN] },
      source: controlled(() => {
        if (fail) throw new Error(`401 from the API: token ${TOKEN} rejected`)
        return page(1, 2, 1)
      }),
      alerts: [webhook({ url: `${server.url}/hooks/${TOKEN}`, headers: { authorization: HOOK_AUTH }, logger, clock: fakeClock({ autoAdvance: true }) }), logAlert({ logger })],
    })
    const outcomes: string[] = []
    for (const f of [true, true, true, false, false, true, true, false]) {
      fail = f
      const r = await c.sync()
      outcomes.push(r.status)
    }
    await c.stop() // flushes the alert queue
    expect(outcomes).toEqual(['failed', 'failed', 'failed', 'succeeded', 'succeeded', 'failed', 'failed', 'succeeded'])
    const alerts = server.requests.map((r) => JSON.parse(r.body) as AlertEvent)
    expect(alerts.map((a) => `${a.type}:${a.failures}`)).toEqual(['syncError:1', 'syncRecovered:3', 'syncError:1', 'syncRecovered:2'])
    expect(alerts[0]).toMatchObject({ connector: 'shop', status: 'failed', rows: 0, error: { code: 'SOURCE_FAILED', message: '401 from the API: token [REDACTED] rejected' } })
    expect(alerts[1]).toMatchObject({ status: 'succeeded', rows: 2 })
    expect(server.requests[0]!.headers.authorization).toBe(HOOK_AUTH) // the receiver does get its auth header
    const everything = server.requests.map((r) => r.body).join('\n') + lines.join('')
    expect(everything).not.toContain(TOKEN)
    expect(everything).not.toContain('whsec_SECRET_9191')
    expect(lines.filter((l) => l.includes('"alert":"syncError"'))).toHaveLength(2) // the log alert, same streak rule
  })

  it('a webhook that is down fails neither the sync nor stop(); the MAR threshold alert is logged as undelivered', async () => {
    const probe = createServer()
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r))
    const port = (probe.address() as { port: number }).port
    await new Promise<void>((r) => probe.close(() => r()))
    const { lines, logger } = capture()
    const c = createConnector({
      id: 'shop',
      destination: memory(),
      logger,
      mar: { budget: { monthly: 2, warnAt: [1] } },
      source: controlled(() => [op.upsert('t', [{ id: 1 }, { id: 2 }, { id: 3 }]), op.checkpoint({ n: 1 })]),
      alerts: [webhook({ url: `http://127.0.0.1:${port}/x`, headers: { authorization: HOOK_AUTH }, logger, retry: constantBackoff({ delayMs: 1, attempts: 2 }), clock: fakeClock({ autoAdvance: true }) })],
    })
    const thresholds: number[] = []
    c.on('marThreshold', (e) => thresholds.push(e.threshold))
    const report = await c.sync()
    expect(report).toMatchObject({ status: 'succeeded', mar: { t: 3 } })
    expect(thresholds).toEqual([1])
    await c.stop()
    const undelivered = lines.filter((l) => l.includes('webhook alert not delivered'))
    expect(undelivered).toHaveLength(1)
    expect(undelivered[0]).toContain('"type":"marThreshold"')
    expect(lines.join('')).not.toContain('whsec_SECRET_9191')
  })
})

import pino from 'pino'
import { describe, expect, it } from 'vitest'
import { SluiceError } from '../../src/core/sluice-error.js'
import { jsonLogger } from '../../src/log/json-logger.js'
import { isLogger, type Logger } from '../../src/log/logger.js'
import { progressTracker } from '../../src/log/progress-tracker.js'
import { redactFields, redactLogger, type RedactList } from '../../src/log/redact-fields.js'
import { op } from '../../src/source/op.js'
import type { Message } from '../../src/core/message.js'

function capture(level: 'debug' | 'info' = 'info', redact?: RedactList) {
  const lines: Record<string, unknown>[] = []
  const logger = jsonLogger({ level, write: (l) => lines.push(JSON.parse(l) as Record<string, unknown>), now: () => Date.UTC(2026, 10, 22), ...(redact ? { redact } : {}) })
  return { lines, logger }
}

describe('jsonLogger', () => {
  it('writes one JSON object per line with level, time, msg and fields, and drops lines below its level', () => {
    const { lines, logger } = capture('info')
    logger.debug({ x: 1 }, 'hidden')
    logger.info({ connector: 'shop', rows: 3 }, 'sync complete')
    logger.error({ error: new SluiceError({ code: 'HTTP_STATUS', message: 'GET /x: 503', retryable: true }) }, 'sync failed')
    expect(lines).toEqual([
      { level: 'info', time: '2026-11-22T00:00:00.000Z', msg: 'sync complete', connector: 'shop', rows: 3 },
      { level: 'error', time: '2026-11-22T00:00:00.000Z', msg: 'sync failed', error: { code: 'HTTP_STATUS', message: 'GET /x: 503', retryable: true, context: {} } },
    ])
  })

  it('redacts secret field names at any depth and secret values inside any string, message included', () => {
    const { lines, logger } = capture('info', { keys: ['ssn'], values: ['tok_live_123456'] })
    logger.info({ request: { headers: { authorization: 'Bearer tok_live_123456' }, url: 'https://x/?t=tok_live_123456' }, user: { ssn: '078-05-1120', password: 'hunter22' } }, 'used tok_live_123456')
    const text = JSON.stringify(lines)
    expect(text).not.toContain('tok_live_123456')
    expect(text).not.toContain('078-05-1120')
    expect(text).not.toContain('hunter22')
    expect(lines[0]).toMatchObject({ msg: 'used [REDACTED]', request: { headers: '[REDACTED]', url: 'https://x/?t=[REDACTED]' }, user: { ssn: '[REDACTED]', password: '[REDACTED]' } })
  })

  it('never throws: bigints, cycles, functions and a failing writer are survivable', () => {
    const cyclic: Record<string, unknown> = { n: 1n }
    cyclic.self = cyclic
    const { lines, logger } = capture()
    logger.info({ cyclic, f: () => 1 }, 'odd fields')
    expect(lines[0]).toMatchObject({ cyclic: { n: '1', self: '[…]' } })
    const broken = jsonLogger({ write: () => { throw new Error('EPIPE') } })
    expect(() => broken.error({}, 'x')).not.toThrow()
    expect(() => jsonLogger({ level: 'loud' as never })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }))
  })
})

describe('a pino logger', () => {
  it('is a Logger as it is, and redactLogger keeps secrets out of its output', () => {
    const out: string[] = []
    const p = pino({ level: 'info' }, { write: (s: string) => void out.push(s) })
    const logger: Logger = redactLogger(p, { values: ['sk_secret_999'] })
    expect(isLogger(p)).toBe(true)
    logger.info({ connector: 'shop', headers: { 'x-api-key': 'sk_secret_999' }, note: 'key sk_secret_999' }, 'sync complete sk_secret_999')
    expect(out).toHaveLength(1)
    const line = JSON.parse(out[0]!) as Record<string, unknown>
    expect(line).toMatchObject({ level: 30, msg: 'sync complete [REDACTED]', connector: 'shop', headers: '[REDACTED]', note: 'key [REDACTED]' })
    expect(out[0]).not.toContain('sk_secret_999')
  })
})

describe('redactFields', () => {
  it('turns errors into plain objects without stacks', () => {
    const safe = redactFields({ e: new TypeError('bad') }) as unknown as { e: Record<string, unknown> }
    expect(safe.e).toEqual({ type: 'TypeError', message: 'bad' })
  })
})

describe('progressTracker', () => {
  it('counts rows per table, reports rows/s and elapsed from its clock, throttled, and at each checkpoint', async () => {
    let now = 1_000
    const seen: { table: string; rows: number; rowsPerSecond: number; elapsedMs: number; checkpoints: number }[] = []
    const t = progressTracker({ now: () => now, intervalMs: 1000, onProgress: (p) => seen.push({ ...p }) })
    async function* messages(): AsyncGenerator<Message> {
      now += 500
      yield op.upsert('a', [{ id: 1 }, { id: 2 }])
      now += 500
      yield op.upsert('a', [{ id: 3 }]) // within 1 s of the last report: no report
      now += 1000
      yield op.upsert('b', [{ id: 1 }])
    }
    const out: Message[] = []
    for await (const m of t.stage(messages(), {} as never)) out.push(m)
    t.checkpoint({ rows: 4 })
    expect(out).toHaveLength(3)
    expect(seen.map((s) => [s.table, s.rows, s.checkpoints])).toEqual([['a', 2, 0], ['b', 4, 0], ['b', 4, 1]])
    expect(t.snapshot()).toMatchObject({ table: 'b', rows: 4, elapsedMs: 2000, rowsPerSecond: 2, checkpoints: 1, committedRows: 4 })
  })
})

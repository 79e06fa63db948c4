import { describe, expect, it } from 'vitest'
import { SluiceError } from '../../src/core/sluice-error.js'
import { constantBackoff } from '../../src/retry/backoff.js'
import { retryAfterDelay, retryAfterFromHeaders } from '../../src/retry/retry-after.js'

const NOW = Date.parse('2026-11-22T12:00:00Z')

describe('retryAfterFromHeaders', () => {
  it('reads Retry-After delta-seconds', () => {
    expect(retryAfterFromHeaders({ 'retry-after': '7' }, { now: NOW, status: 429 })).toBe(7000)
    expect(retryAfterFromHeaders({ 'retry-after': '0' }, { now: NOW, status: 503 })).toBe(0)
  })

  it('reads Retry-After as an HTTP-date against the local clock', () => {
    const at = new Date(NOW + 30_000).toUTCString()
    expect(retryAfterFromHeaders({ 'retry-after': at }, { now: NOW, status: 503 })).toBe(30_000)
    const past = new Date(NOW - 30_000).toUTCString()
    expect(retryAfterFromHeaders({ 'retry-after': past }, { now: NOW, status: 503 })).toBe(0)
  })

  it('measures an HTTP-date from the server Date header when present (clock skew)', () => {
    const serverNow = NOW + 3_600_000 // our clock is an hour behind
    const headers = { date: new Date(serverNow).toUTCString(), 'retry-after': new Date(serverNow + 5000).toUTCString() }
    expect(retryAfterFromHeaders(headers, { now: NOW, status: 429 })).toBe(5000)
  })

  it('reads X-RateLimit-Reset as epoch seconds on a 429', () => {
    const reset = String((NOW + 12_000) / 1000)
    expect(retryAfterFromHeaders({ 'x-ratelimit-reset': reset }, { now: NOW, status: 429 })).toBe(12_000)
  })

  it('reads RateLimit-Reset as delta seconds and epoch milliseconds when large', () => {
    expect(retryAfterFromHeaders({ 'ratelimit-reset': '4' }, { now: NOW, status: 429 })).toBe(4000)
    expect(retryAfterFromHeaders({ 'x-ratelimit-reset': String(NOW + 2500) }, { now: NOW, status: 429 })).toBe(2500)
  })

  it('honours reset headers on a 403 only when the quota is spent (GitHub style)', () => {
    const reset = String((NOW + 60_000) / 1000)
    expect(retryAfterFromHeaders({ 'x-ratelimit-reset': reset, 'x-ratelimit-remaining': '0' }, { now: NOW, status: 403 })).toBe(60_000)
    expect(retryAfterFromHeaders({ 'x-ratelimit-reset': reset, 'x-ratelimit-remaining': '42' }, { now: NOW, status: 403 })).toBeUndefined()
    expect(retryAfterFromHeaders({ 'x-ratelimit-reset': reset }, { now: NOW, status: 500 })).toBeUndefined()
  })

  it('ignores garbage', () => {
    expect(retryAfterFromHeaders({ 'retry-after': 'soon' }, { now: NOW, status: 429 })).toBeUndefined()
    expect(retryAfterFromHeaders({ 'x-ratelimit-reset': '-3' }, { now: NOW, status: 429 })).toBeUndefined()
    expect(retryAfterFromHeaders({}, { now: NOW, status: 429 })).toBeUndefined()
  })
})

describe('retryAfterDelay', () => {
  const policy = constantBackoff({ delayMs: 1, attempts: 2, maxRetryAfterMs: 10_000 })
  const err = (context: Record<string, unknown>): SluiceError =>
    new SluiceError({ code: 'HTTP_STATUS', message: '429', retryable: true, context })

  it('takes context.retryAfterMs, capped at maxRetryAfterMs', () => {
    expect(retryAfterDelay(err({ retryAfterMs: 3000 }), policy)).toBe(3000)
    expect(retryAfterDelay(err({ retryAfterMs: 3_600_000 }), policy)).toBe(10_000)
  })

  it('is undefined without a usable hint', () => {
    expect(retryAfterDelay(err({}), policy)).toBeUndefined()
    expect(retryAfterDelay(err({ retryAfterMs: 'x' }), policy)).toBeUndefined()
    expect(retryAfterDelay(new Error('429'), policy)).toBeUndefined()
  })
})

import { describe, expect, it } from 'vitest'
import { fakeClock } from '../../src/core/clock.js'
import { rateLimit } from '../../src/retry/rate-limit.js'

describe('rateLimit', () => {
  it('lets a burst of `requests` through, then spaces takes at perMs/requests', async () => {
    const clock = fakeClock()
    const limiter = rateLimit({ requests: 2, perMs: 1000, clock })
    const done: number[] = []
    const takes = [0, 1, 2, 3].map((i) => limiter.take().then(() => done.push(i)))
    await clock.advance(0)
    expect(done).toEqual([0, 1])
    await clock.advance(499)
    expect(done).toEqual([0, 1])
    await clock.advance(1)
    expect(done).toEqual([0, 1, 2])
    await clock.advance(500)
    expect(done).toEqual([0, 1, 2, 3])
    await Promise.all(takes)
  })

  it('refills over idle time up to the burst size only', async () => {
    const clock = fakeClock()
    const limiter = rateLimit({ requests: 3, perMs: 300, clock })
    for (let i = 0; i < 3; i++) await limiter.take()
    await clock.advance(10_000)
    let immediate = 0
    for (let i = 0; i < 4; i++) void limiter.take().then(() => immediate++)
    await clock.advance(0)
    expect(immediate).toBe(3)
  })

  it('rejects a waiting take with ABORTED and returns its slot', async () => {
    const clock = fakeClock()
    const limiter = rateLimit({ requests: 1, perMs: 1000, clock })
    await limiter.take()
    const controller = new AbortController()
    const waiting = limiter.take(controller.signal)
    controller.abort()
    await expect(waiting).rejects.toMatchObject({ code: 'ABORTED' })
    await clock.advance(1000)
    let got = false
    void limiter.take().then(() => (got = true))
    await clock.advance(0)
    expect(got).toBe(true)
  })

  it('refuses bad options when built', () => {
    expect(() => rateLimit({ requests: 0, perMs: 1000 })).toThrow('`rateLimit.requests` must be a positive integer, got 0')
    expect(() => rateLimit({ requests: 1, perMs: 0 })).toThrow('`rateLimit.perMs`')
  })
})

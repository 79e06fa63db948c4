import { describe, expect, it } from 'vitest'
import { backoffDelay, constantBackoff, exponentialBackoff } from '../../src/retry/backoff.js'
import { SluiceError } from '../../src/core/sluice-error.js'

function configError(build: () => unknown): SluiceError {
  try {
    build()
  } catch (error) {
    expect(error).toBeInstanceOf(SluiceError)
    expect((error as SluiceError).code).toBe('CONFIG_INVALID')
    return error as SluiceError
  }
  throw new Error('expected CONFIG_INVALID')
}

describe('exponentialBackoff', () => {
  it('fills documented defaults into a frozen plain object', () => {
    const policy = exponentialBackoff()
    expect(policy).toEqual({
      kind: 'exponential', initialMs: 500, factor: 2, maxMs: 30_000, attempts: 5,
      maxElapsedMs: undefined, jitter: 'full', maxRetryAfterMs: 120_000,
    })
    expect(Object.isFrozen(policy)).toBe(true)
    expect(JSON.parse(JSON.stringify(policy))).toMatchObject({ kind: 'exponential', attempts: 5 })
  })

  it('refuses bad options when built, saying what to fix', () => {
    expect(configError(() => exponentialBackoff({ attempts: 0 })).message).toBe(
      '`exponentialBackoff.attempts` must be a positive integer, got 0',
    )
    expect(configError(() => exponentialBackoff({ attempts: 2.5 })).message).toContain('got 2.5')
    expect(configError(() => exponentialBackoff({ initialMs: -1 })).message).toContain('`exponentialBackoff.initialMs`')
    expect(configError(() => exponentialBackoff({ factor: 0.5 })).message).toContain('`exponentialBackoff.factor` must be a finite number ≥ 1')
    expect(configError(() => exponentialBackoff({ initialMs: 1000, maxMs: 10 })).message).toContain('≥ initialMs (1000)')
    expect(configError(() => exponentialBackoff({ jitter: 'half' as 'full' })).message).toContain("one of 'full', 'none'")
    expect(configError(() => exponentialBackoff({ maxElapsedMs: 0 })).message).toContain('maxElapsedMs')
    expect(configError(() => exponentialBackoff({ maxRetryAfterMs: Number.NaN })).message).toContain('maxRetryAfterMs')
  })

  it('doubles from initialMs and caps at maxMs without jitter', () => {
    const policy = exponentialBackoff({ jitter: 'none', initialMs: 500, maxMs: 3000 })
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(policy, n))).toEqual([500, 1000, 2000, 3000, 3000, 3000])
  })

  it('draws full jitter uniformly below the exponential ceiling', () => {
    const policy = exponentialBackoff({ initialMs: 1000 })
    expect(backoffDelay(policy, 1, () => 0)).toBe(0)
    expect(backoffDelay(policy, 3, () => 0.5)).toBe(2000)
    expect(backoffDelay(policy, 3, () => 0.999)).toBeLessThan(4000)
  })
})

describe('constantBackoff', () => {
  it('waits the same delay every time', () => {
    const policy = constantBackoff({ delayMs: 250, attempts: 3 })
    expect([1, 2, 3].map((n) => backoffDelay(policy, n))).toEqual([250, 250, 250])
    expect(policy.maxRetryAfterMs).toBe(120_000)
  })

  it('refuses missing or negative options', () => {
    expect(configError(() => constantBackoff({ delayMs: -5, attempts: 3 })).message).toContain('`constantBackoff.delayMs`')
    expect(configError(() => constantBackoff({ delayMs: 5, attempts: 0 })).message).toBe(
      '`constantBackoff.attempts` must be a positive integer, got 0',
    )
    expect(configError(() => constantBackoff(undefined as never)).message).toContain('constantBackoff.delayMs')
  })
})

import { describe, expect, it } from 'vitest'
import { adaptiveSize } from '../../src/retry/adaptive-size.js'

describe('adaptiveSize', () => {
  it('shrinks step by step and reports when it cannot shrink further', () => {
    const size = adaptiveSize()
    const seen = [size.current]
    while (size.shrink()) seen.push(size.current)
    expect(seen).toEqual([1000, 500, 250, 50, 10, 1])
    expect(size.atSmallest).toBe(true)
    expect(size.shrink()).toBe(false)
    expect(size.current).toBe(1)
  })

  it('grows back one step after growAfter consecutive successes', () => {
    const size = adaptiveSize({ sizes: [100, 10, 1], growAfter: 3 })
    size.shrink()
    size.shrink()
    expect([size.succeed(), size.succeed()]).toEqual([false, false])
    expect(size.succeed()).toBe(true)
    expect(size.current).toBe(10)
  })

  it('a failure resets the success streak', () => {
    const size = adaptiveSize({ sizes: [100, 10, 1], growAfter: 2 })
    size.shrink()
    size.shrink()
    size.succeed()
    size.shrink() // already smallest, but the streak restarts
    size.succeed()
    expect(size.current).toBe(1)
    size.succeed()
    expect(size.current).toBe(10)
  })

  it('never grows past the largest size', () => {
    const size = adaptiveSize({ growAfter: 1 })
    expect(size.succeed()).toBe(false)
    expect(size.current).toBe(1000)
  })

  it('refuses sizes that are not descending positive integers', () => {
    expect(() => adaptiveSize({ sizes: [] })).toThrow('`adaptiveSize.sizes`')
    expect(() => adaptiveSize({ sizes: [10, 50] })).toThrow('`adaptiveSize.sizes[1]` must be smaller than the size before it (10)')
    expect(() => adaptiveSize({ sizes: [10, 0] })).toThrow('`adaptiveSize.sizes[1]` must be a positive integer, got 0')
    expect(() => adaptiveSize({ growAfter: 0 })).toThrow('`adaptiveSize.growAfter` must be a positive integer')
  })
})

import { describe, expect, it } from 'vitest'
import { fakeClock, systemClock } from '../../src/core/clock.js'

describe('fakeClock', () => {
  it('resolves sleeps only when time is advanced past them, in order', async () => {
    const clock = fakeClock({ now: 1000 })
    const woke: string[] = []
    void clock.sleep(300).then(() => woke.push(`b@${clock.now()}`))
    void clock.sleep(100).then(() => woke.push(`a@${clock.now()}`))
    await clock.advance(50)
    expect(woke).toEqual([])
    expect(clock.pending).toBe(2)
    await clock.advance(250)
    expect(woke).toEqual(['a@1100', 'b@1300'])
    expect(clock.now()).toBe(1300)
  })

  it('lets woken code sleep again within the same advance', async () => {
    const clock = fakeClock()
    let rounds = 0
    const loop = (async () => {
      for (let i = 0; i < 3; i++) {
        await clock.sleep(10)
        rounds++
      }
    })()
    await clock.advance(30)
    await loop
    expect(rounds).toBe(3)
  })

  it('next() jumps to the earliest pending sleep', async () => {
    const clock = fakeClock()
    const slept = clock.sleep(5000)
    expect(await clock.next()).toBe(true)
    await slept
    expect(clock.now()).toBe(5000)
    expect(await clock.next()).toBe(false)
  })

  it('rejects a sleep with ABORTED when its signal fires', async () => {
    const clock = fakeClock()
    const controller = new AbortController()
    const slept = clock.sleep(1000, controller.signal)
    controller.abort()
    await expect(slept).rejects.toMatchObject({ code: 'ABORTED' })
    expect(clock.pending).toBe(0)
    await expect(clock.sleep(1, controller.signal)).rejects.toMatchObject({ code: 'ABORTED' })
  })

  it('autoAdvance moves time by each sleep and resolves at once', async () => {
    const clock = fakeClock({ autoAdvance: true })
    await clock.sleep(2000)
    await clock.sleep(500)
    expect(clock.now()).toBe(2500)
  })
})

describe('systemClock', () => {
  it('rejects promptly with ABORTED when aborted mid-sleep', async () => {
    const controller = new AbortController()
    const slept = systemClock.sleep(60_000, controller.signal)
    controller.abort(new Error('shutdown'))
    await expect(slept).rejects.toMatchObject({ code: 'ABORTED' })
  })

  it('resolves a zero sleep', async () => {
    await expect(systemClock.sleep(0)).resolves.toBeUndefined()
  })
})

import { describe, expect, it } from 'vitest'
import { dbtFreshness, DEFAULT_FRESHNESS } from '../../src/dbt/dbt-freshness.js'

describe('dbtFreshness', () => {
  it('warns after 2 and fails after 4 intervals, in the largest exact unit', () => {
    expect(dbtFreshness({ every: '15m' })).toEqual({ warn_after: { count: 30, period: 'minute' }, error_after: { count: 1, period: 'hour' } })
    expect(dbtFreshness({ every: '6h' })).toEqual({ warn_after: { count: 12, period: 'hour' }, error_after: { count: 1, period: 'day' } })
    expect(dbtFreshness({ every: '1d' })).toEqual({ warn_after: { count: 2, period: 'day' }, error_after: { count: 4, period: 'day' } })
    // 2 × 45 s = 90 s: rounded up to whole minutes, never to 0.
    expect(dbtFreshness({ every: '45s' })).toEqual({ warn_after: { count: 2, period: 'minute' }, error_after: { count: 3, period: 'minute' } })
  })

  it('takes the widest gap of a cron schedule (weekdays only: the weekend gap), plus the jitter', () => {
    expect(dbtFreshness({ cron: '0 */6 * * *' })).toEqual({ warn_after: { count: 12, period: 'hour' }, error_after: { count: 1, period: 'day' } })
    expect(dbtFreshness({ cron: '0 9 * * 1-5' })).toEqual({ warn_after: { count: 6, period: 'day' }, error_after: { count: 12, period: 'day' } })
    expect(dbtFreshness({ every: '1h', jitter: '30m' })).toEqual({ warn_after: { count: 3, period: 'hour' }, error_after: { count: 6, period: 'hour' } })
  })

  it('without a schedule: warn after 12 h, fail after 24 h', () => {
    expect(dbtFreshness(undefined)).toBe(DEFAULT_FRESHNESS)
    expect(DEFAULT_FRESHNESS).toEqual({ warn_after: { count: 12, period: 'hour' }, error_after: { count: 24, period: 'hour' } })
  })

  it('refuses a schedule that is not one, naming where it came from', () => {
    expect(() => dbtFreshness({ every: 'often' }, '--schedule')).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining('--schedule.every') }))
    expect(() => dbtFreshness({ cron: 'not a cron' })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }))
  })
})

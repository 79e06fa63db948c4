import { describe, expect, it } from 'vitest'
import { addCalendarStep, calendarStep } from '../../../src/source/time-windows/calendar-step.js'
import { addInterval, gapsOf } from '../../../src/source/time-windows/merged-intervals.js'

const at = (text: string) => Date.parse(text)
const iso = (ms: number) => new Date(ms).toISOString()

describe('calendarStep', () => {
  it('reads calendar months and years, and fixed durations', () => {
    expect(calendarStep('3 months', 'w')).toEqual({ months: 3 })
    expect(calendarStep('1 month', 'w')).toEqual({ months: 1 })
    expect(calendarStep('2 years', 'w')).toEqual({ months: 24 })
    expect(calendarStep('14 days', 'w')).toEqual({ ms: 14 * 86_400_000 })
    expect(calendarStep(60_000, 'w')).toEqual({ ms: 60_000 })
  })

  it.each(['0 months', '0 days', 'soon', -5, ''])('refuses %j naming the option', (bad) => {
    expect(() => calendarStep(bad, 'timeWindows.window')).toThrow('`timeWindows.window` must be a positive length')
  })

  it('adds months in UTC, clamping to the month end without drifting', () => {
    const jan31 = at('2026-01-31T10:30:00Z')
    expect(iso(addCalendarStep(jan31, { months: 1 }))).toBe('2026-02-28T10:30:00.000Z')
    expect(iso(addCalendarStep(jan31, { months: 1 }, 2))).toBe('2026-03-31T10:30:00.000Z')
    expect(iso(addCalendarStep(at('2024-02-29T00:00:00Z'), { months: 12 }))).toBe('2025-02-28T00:00:00.000Z')
    expect(iso(addCalendarStep(at('2026-11-15T00:00:00Z'), { months: 3 }))).toBe('2027-02-15T00:00:00.000Z')
    expect(iso(addCalendarStep(at('2026-03-28T00:00:00Z'), { ms: 86_400_000 }, 4))).toBe('2026-04-01T00:00:00.000Z')
  })
})

describe('merged intervals', () => {
  it('merges overlapping and adjacent intervals and keeps them sorted', () => {
    let list = addInterval([], [20, 30])
    list = addInterval(list, [0, 10])
    expect(list).toEqual([[0, 10], [20, 30]])
    expect(addInterval(list, [10, 20])).toEqual([[0, 30]])
    expect(addInterval(list, [5, 25])).toEqual([[0, 30]])
    expect(addInterval(list, [40, 50])).toEqual([[0, 10], [20, 30], [40, 50]])
    expect(addInterval(list, [12, 15])).toEqual([[0, 10], [12, 15], [20, 30]])
  })

  it('finds the gaps of a span not covered yet', () => {
    expect(gapsOf([], 0, 100)).toEqual([[0, 100]])
    expect(gapsOf([[10, 20], [30, 40]], 0, 100)).toEqual([[0, 10], [20, 30], [40, 100]])
    expect(gapsOf([[0, 100]], 0, 100)).toEqual([])
    expect(gapsOf([[0, 50]], 20, 120)).toEqual([[50, 120]])
  })
})

import { describe, expect, it } from 'vitest'
import { toArrow } from '../../src/arrow.js'
import { Batch } from '../../src/core/batch.js'
import { isSluiceError } from '../../src/core/sluice-error.js'
import { parseSchedule } from '../../src/schedule/schedule.js'

// Regression: these sites threw a raw RangeError / Error, so a report or `_sluice_errors` carried
// no code for them. Each now throws a SluiceError with the code of its cause.
const codeOf = (run: () => unknown): unknown => {
  try {
    run()
  } catch (error) {
    return isSluiceError(error) ? error.code : `raw ${(error as Error).name}`
  }
  return 'no error'
}

describe('coded errors where raw ones were thrown', () => {
  it('toArrow refuses a hand-built batch whose text is not of its declared type with UNSUPPORTED_VALUE', () => {
    const bad = (type: 'UTC_DATETIME' | 'NAIVE_DATE' | 'DECIMAL(10,2)', text: string) =>
      new Batch([{ name: 'v', type, values: [text], validity: undefined, nullCount: 0 }], 1)
    expect(codeOf(() => toArrow(bad('UTC_DATETIME', 'yesterday')))).toBe('UNSUPPORTED_VALUE')
    expect(codeOf(() => toArrow(bad('NAIVE_DATE', 'soon')))).toBe('UNSUPPORTED_VALUE')
    expect(codeOf(() => toArrow(bad('DECIMAL(10,2)', 'ten')))).toBe('UNSUPPORTED_VALUE')
  })

  it('Batch#withColumn refuses a column of another length with UNSUPPORTED_VALUE', () => {
    const batch = new Batch([{ name: 'a', type: 'STRING', values: ['x', 'y'], validity: undefined, nullCount: 0 }], 2)
    expect(codeOf(() => batch.withColumn({ name: 'b', type: 'STRING', values: ['z'], validity: undefined, nullCount: 0 }))).toBe('UNSUPPORTED_VALUE')
  })

  it('parseSchedule refuses a cron expression that never fires with CONFIG_INVALID', () => {
    expect(codeOf(() => parseSchedule({ cron: '0 0 30 2 *' }))).toBe('CONFIG_INVALID')
  })
})

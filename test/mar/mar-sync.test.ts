import { describe, expect, it } from 'vitest'
import { memory, sync, type Sink } from '../../src/index.js'
import { marReport } from '../../src/mar/mar-report.js'
import { source } from '../sink/matrix/mar.js'

// The MAR conformance runs over every destination in test/sink/matrix/mar.test.ts.

describe('MAR options', () => {
  it('a destination that cannot meter gives MAR_UNAVAILABLE, before anything runs', async () => {
    const bare: Sink = { name: 'bare', open: async () => ({}), write: async () => {}, checkpoint: async () => {}, close: async () => {} }
    await expect(sync({ source: source([]), destination: bare, mar: {} })).rejects.toMatchObject({ code: 'MAR_UNAVAILABLE', message: expect.stringContaining('bare') })
    await expect(marReport({ destination: bare })).rejects.toMatchObject({ code: 'MAR_UNAVAILABLE' })
  })

  it('bad options are CONFIG_INVALID naming the option', async () => {
    const cases: [object, string][] = [
      [{ mode: 'roughly' }, 'mar.mode'],
      [{ budget: { monthly: 0 } }, 'mar.budget.monthly'],
      [{ budget: { monthly: 10, warnAt: [0.5, -1] } }, 'mar.budget.warnAt'],
      [{ onExceed: 'stop' }, 'mar.budget'],
      [{ budget: { monthly: 10 }, onExceed: 'panic' }, 'mar.onExceed'],
    ]
    for (const [mar, option] of cases) {
      await expect(sync({ source: source([]), destination: memory(), mar: mar as never }), option).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining(`\`${option}\``) })
    }
  })
})

import { afterEach, describe, expect, it, vi } from 'vitest'
import { progress } from '../../src/cli/progress.js'
import type { Message } from '../../src/core/message.js'
import { op } from '../../src/source/op.js'
import type { StageContext } from '../../src/contracts/stage.js'

const context: StageContext = { connectorId: 'c', syncId: 's', tables: [], signal: new AbortController().signal, recordError: () => {} }

async function* messages(): AsyncGenerator<Message> {
  yield op.upsert('orders', [{ id: 1 }, { id: 2 }])
  yield op.checkpoint({ n: 2 })
  yield op.upsert('customers', [{ id: 1 }])
}

describe('progress', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it('on a terminal, redraws one line in place (table, rows, rows/s, elapsed) and clears it at the end', async () => {
    vi.useFakeTimers()
    let now = 0
    const written: string[] = []
    const shown = progress({ write: (t) => written.push(t), tty: true, intervalMs: 100, now: () => now })
    const seen: Message[] = []
    for await (const m of shown.stage(messages(), context)) {
      seen.push(m)
      if (m.kind === 'checkpoint') shown.checkpoint({ rows: 2 })
    }
    now = 2000
    vi.advanceTimersByTime(100)
    shown.stop()
    expect(seen.map((m) => m.kind)).toEqual(['records', 'checkpoint', 'records'])
    expect(written[0]).toBe('\r\x1b[2Kcustomers · 3 rows · 2 rows/s · 2.0s · 1 checkpoints (2 rows committed)')
    expect(written.at(-1)).toBe('\r\x1b[2K')
  })

  it('elsewhere, prints a plain line per interval only while rows keep coming', async () => {
    vi.useFakeTimers()
    let now = 0
    const written: string[] = []
    const shown = progress({ write: (t) => written.push(t), tty: false, intervalMs: 5000, now: () => now })
    for await (const _ of shown.stage(messages(), context)) void _
    now = 5000
    vi.advanceTimersByTime(5000)
    now = 10_000
    vi.advanceTimersByTime(5000) // no new rows: no new line
    shown.stop()
    expect(written).toEqual(['customers · 3 rows · 1 rows/s · 5.0s · 0 checkpoints (0 rows committed)\n'])
  })

  it('keeps the error thrown through the stage, for --verbose', async () => {
    const shown = progress({ write: () => {}, tty: false })
    const boom = new Error('boom')
    async function* failing(): AsyncGenerator<Message> {
      yield op.upsert('t', [{ id: 1 }])
      throw boom
    }
    await expect(async () => {
      for await (const _ of shown.stage(failing(), context)) void _
    }).rejects.toBe(boom)
    shown.stop()
    expect(shown.failure).toBe(boom)
  })
})

import { describe, expect, it } from 'vitest'
import { memory, op, sync, type Sink, type SinkMessage, type Source } from '../../src/index.js'
import { prefetch } from '../../src/sync/prefetch.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function* numbers(n: number, log: string[], failAt?: number): AsyncGenerator<number> {
  try {
    for (let i = 0; i < n; i++) {
      if (i === failAt) throw new Error(`source failed at ${i}`)
      log.push(`make ${i}`)
      await sleep(1)
      yield i
    }
  } finally {
    log.push('source closed')
  }
}

describe('prefetch', () => {
  it('keeps order and starts making the next item before the consumer is done with the current one', async () => {
    const log: string[] = []
    const seen: number[] = []
    for await (const i of prefetch(numbers(4, log))) {
      log.push(`handle ${i}`)
      await sleep(5)
      seen.push(i)
    }
    expect(seen).toEqual([0, 1, 2, 3])
    // item 1 is in the making before item 0 is handled: that is the overlap
    expect(log.indexOf('make 1')).toBeLessThan(log.indexOf('handle 0') + 2)
    expect(log.indexOf('make 1')).toBeLessThan(log.indexOf('handle 1'))
    // the end of the source is seen while item 3 is still to be handled
    expect(log.indexOf('source closed')).toBeLessThan(log.indexOf('handle 3'))
  })

  it('surfaces a source error only after every item before it was handled', async () => {
    const log: string[] = []
    const seen: number[] = []
    await expect(async () => {
      for await (const i of prefetch(numbers(5, log, 3))) {
        await sleep(2)
        seen.push(i)
      }
    }).rejects.toThrow('source failed at 3')
    expect(seen).toEqual([0, 1, 2])
  })

  it('a consumer that leaves early closes the source once the item in the making settled', async () => {
    const log: string[] = []
    for await (const i of prefetch(numbers(10, log))) if (i === 1) break
    expect(log.at(-1)).toBe('source closed')
    expect(log.filter((l) => l.startsWith('make'))).toEqual(['make 0', 'make 1', 'make 2'])
  })

  it('a rejection that arrives while the consumer works is not an unhandled rejection', async () => {
    const unhandled: unknown[] = []
    const onUnhandled = (e: unknown) => unhandled.push(e)
    process.on('unhandledRejection', onUnhandled)
    try {
      const log: string[] = []
      await expect(async () => {
        for await (const _ of prefetch(numbers(3, log, 1))) await sleep(30) // the failure lands mid-sleep
      }).rejects.toThrow('source failed at 1')
      await sleep(10)
    } finally {
      process.off('unhandledRejection', onUnhandled)
    }
    expect(unhandled).toEqual([])
  })
})

describe('sync() with prefetch', () => {
  it('the source builds page n + 1 while the sink is still writing page n', async () => {
    const log: string[] = []
    const source: Source = {
      id: 'pages',
      readAhead: true,
      tables: () => [{ table: 't', primaryKey: ['id'] }],
      async *read() {
        for (let p = 0; p < 3; p++) {
          log.push(`source page ${p}`)
          yield op.upsert('t', [{ id: p }])
          yield op.checkpoint({ p })
        }
      },
    }
    const inner = memory()
    const slow: Sink = {
      ...inner,
      async write(args: { readonly message: SinkMessage }) {
        if (args.message.kind === 'records') log.push(`sink start ${String(args.message.batch.column('id')!.values[0])}`)
        await sleep(10)
        const out = await inner.write(args as Parameters<Sink['write']>[0])
        if (args.message.kind === 'records') log.push(`sink end ${String(args.message.batch.column('id')!.values[0])}`)
        return out
      },
    }
    const report = await sync({ source, destination: slow })
    expect(report.status).toBe('succeeded')
    expect(report.rows).toBe(3)
    expect(await inner.read!({ table: 't' })).toHaveLength(3)
    // The checkpoint after page 0 is made while page 0 is written; page 1 while the checkpoint commits.
    expect(log.indexOf('source page 1')).toBeLessThan(log.indexOf('sink start 1'))
    expect(log.indexOf('sink end 0')).toBeLessThan(log.indexOf('sink start 1'))
  })

  it('without readAhead, the code after `yield op.checkpoint` runs only once the checkpoint committed', async () => {
    const log: string[] = []
    const inner = memory()
    const sink: Sink = {
      ...inner,
      async checkpoint(args) {
        await sleep(10)
        await inner.checkpoint(args)
        log.push(`committed ${JSON.stringify(args.state)}`)
      },
    }
    const source: Source = {
      id: 'acking',
      tables: () => [{ table: 't', primaryKey: ['id'] }],
      async *read() {
        for (let p = 0; p < 3; p++) {
          yield op.upsert('t', [{ id: p }])
          yield op.checkpoint({ p })
          log.push(`ack ${p}`) // e.g. delete the queue messages of page p: only safe once p is committed
        }
      },
    }
    const report = await sync({ source, destination: sink })
    expect(report.status).toBe('succeeded')
    expect(log).toEqual(['committed {"p":0}', 'ack 0', 'committed {"p":1}', 'ack 1', 'committed {"p":2}', 'ack 2'])
  })

  it('records an error of a row after a checkpoint with the next checkpoint, not with the one being committed', async () => {
    const sink = memory()
    const report = await sync({
      destination: sink,
      source: {
        readAhead: true,
        tables: () => [{ table: 't', primaryKey: ['id'] }],
        async *read({ recordError }) {
          yield op.upsert('t', [{ id: 1 }])
          yield op.checkpoint({ n: 1 })
          recordError({ kind: 'record', table: 't', code: 'VALIDATION_FAILED', message: 'after checkpoint 1', record: { id: 2 } })
          throw new Error('fail before checkpoint 2')
        },
      },
    })
    expect(report.status).toBe('failed')
    expect(report.errors).toBe(1)
    expect(await sink.readErrors!()).toEqual([])
  })

  it('a deadline stop does not wait for a slow request of the page in the making', async () => {
    let aborted = false
    const source: Source = {
      id: 'slow',
      readAhead: true,
      tables: () => [{ table: 't', primaryKey: ['id'] }],
      async *read({ signal }) {
        for (let p = 0; ; p++) {
          yield op.upsert('t', [{ id: p }])
          if (p === 0) await sleep(300) // the deadline passes here, so the checkpoint below is where the sync stops
          yield op.checkpoint({ p })
          // the page after the checkpoint "waits on the API" for 30 s unless the signal cuts it short
          await new Promise<void>((resolve) => {
            const t = setTimeout(resolve, 30_000)
            signal.addEventListener('abort', () => {
              aborted = true
              clearTimeout(t)
              resolve()
            }, { once: true })
          })
        }
      },
    }
    const started = Date.now()
    const report = await sync({ source, destination: memory(), deadline: 200, grace: 60_000 })
    expect(report.status).toBe('stopped')
    expect(report.stopReason).toBe('deadline')
    expect(aborted).toBe(true)
    // Without the abandon the sync would wait out the 30 s request (the grace is a minute).
    expect(Date.now() - started).toBeLessThan(20_000)
  })
})

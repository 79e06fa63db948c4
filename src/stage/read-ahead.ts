import type { Message } from '../core/message.js'

/**
 * Maps messages with an async function while keeping their order, starting the work for up to
 * `depth` records messages (other messages don't count) before the consumer asks for them: a stage whose work runs elsewhere (a worker
 * thread) then overlaps it with the sink writing the previous batch. An error surfaces when its
 * message's turn comes; a failing upstream fails only after what it emitted before. Stopping early (the consumer breaks) closes the upstream and drops the
 * work in flight, which is never acknowledged, so nothing past the last checkpoint is lost.
 */
export async function* readAhead(
  messages: AsyncIterable<Message>,
  map: (message: Message) => Message | Promise<Message>,
  depth: number,
): AsyncIterable<Message> {
  const upstream = messages[Symbol.asyncIterator]()
  const queue: { work: Promise<Message>; records: boolean }[] = []
  let records = 0
  let done = false
  let failure: { error: unknown } | undefined
  try {
    for (;;) {
      while (!done && records < depth) {
        let next: IteratorResult<Message>
        try {
          next = await upstream.next()
        } catch (error) {
          // The source failed: what it emitted before still goes out first (a checkpoint among it must commit).
          failure = { error }
          done = true
          break
        }
        if (next.done) {
          done = true
          break
        }
        const work = Promise.resolve(next.value).then(map)
        work.catch(() => undefined) // handled when its turn comes; no unhandled rejection meanwhile
        const isRecords = next.value.kind === 'records'
        if (isRecords) records++
        queue.push({ work, records: isRecords })
      }
      const head = queue.shift()
      if (!head) break
      if (head.records) records--
      yield await head.work
    }
  } finally {
    if (!done) await upstream.return?.()
  }
  if (failure) throw failure.error
}

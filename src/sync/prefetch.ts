const ignore = (): undefined => undefined

/**
 * Keeps the next message of `source` in the making while the consumer handles the current one:
 * `sync()` pulls message n + 1 (the source fetching a page, building a batch, a stage hashing it)
 * the moment it has message n, then awaits the sink. Wherever the sink's work leaves the main
 * thread idle (DuckDB and Postgres commit on other threads or processes, an HTTP response is on
 * its way), the two overlap. One message ahead, never more, so memory stays bounded.
 *
 * Order and failure semantics are those of the source: messages come out in order, an error
 * surfaces only after every message emitted before it was handled (a checkpoint among them still
 * commits). A consumer that leaves early (a stop at a checkpoint) discards the message in the
 * making, which nothing has acknowledged, waits for it to settle and closes the source: call
 * `abandon` first to cut short a source that is waiting (a slow request, a Retry-After sleep).
 */
export async function* prefetch<T>(source: AsyncIterable<T>): AsyncGenerator<T> {
  const upstream = source[Symbol.asyncIterator]()
  let pending = upstream.next()
  pending.catch(ignore) // awaited below; a rejection that arrives while the sink works is not "unhandled"
  let finished = false
  try {
    for (;;) {
      let next: IteratorResult<T>
      try {
        next = await pending
      } catch (error) {
        finished = true
        throw error
      }
      if (next.done) {
        finished = true
        return
      }
      pending = upstream.next()
      pending.catch(ignore)
      yield next.value
    }
  } finally {
    if (!finished) {
      // The consumer left: the message in the making is dropped; the source's own cleanup still runs.
      await pending.then(ignore, ignore)
      await upstream.return?.()
    }
  }
}

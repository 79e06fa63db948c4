const ignore = (): undefined => undefined

/** Options of {@link prefetch}. */
export interface PrefetchOptions<T> {
  /** Messages after which nothing is made ahead: the source resumes only when the consumer asks. */
  readonly barrier?: (message: T) => boolean
}

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
 * Side effects of the source (recorded errors) are put in the stream before it comes here (see
 * `ErrorChannel`), so the message made ahead can't carry them into the commit before it. A `barrier`
 * message (a checkpoint, for a source that acknowledges what it read after one) is not read past.
 */
export async function* prefetch<T>(source: AsyncIterable<T>, options: PrefetchOptions<T> = {}): AsyncGenerator<T> {
  const { barrier } = options
  const upstream = source[Symbol.asyncIterator]()
  const pull = () => {
    const p = upstream.next()
    p.catch(ignore) // awaited below; a rejection that arrives while the sink works is not "unhandled"
    return p
  }
  let pending: Promise<IteratorResult<T>> | undefined = pull()
  let finished = false
  try {
    for (;;) {
      pending ??= pull()
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
      if (barrier?.(next.value)) {
        // Not past a barrier: the source resumes only once the consumer is done with it.
        pending = undefined
        yield next.value
        continue
      }
      pending = pull()
      yield next.value
    }
  } finally {
    if (!finished) {
      // The consumer left: the message in the making is dropped; the source's own cleanup still runs.
      await pending?.then(ignore, ignore)
      await upstream.return?.()
    }
  }
}

/**
 * Items of several async iterators, running at most `limit` of them at once (started lazily, in order) and yielding
 * items as they arrive; each iterator's own order is kept. With `limit` 1 it is a plain concatenation.
 * Used by the REST source to read streams and child endpoints concurrently. Stopping early (or a failure in one
 * iterator) closes the others once their pending step settles: callers abort their I/O first so that is prompt.
 *
 * @example
 * ```ts
 * import { mergeIterators } from './merge-iterators.js'
 * async function* count(n: number) { for (let i = 0; i < n; i++) yield i }
 * for await (const i of mergeIterators([() => count(2), () => count(3)], 2)) console.log(i)
 * ```
 */
export async function* mergeIterators<T>(factories: readonly (() => AsyncIterator<T>)[], limit: number): AsyncGenerator<T> {
  if (limit <= 1 || factories.length <= 1) {
    for (const factory of factories) {
      const iterator = factory()
      yield* { [Symbol.asyncIterator]: () => iterator }
    }
    return
  }
  type Step = { readonly iterator: AsyncIterator<T>; readonly result: IteratorResult<T> }
  const active = new Map<AsyncIterator<T>, Promise<Step>>()
  let started = 0
  const pull = (iterator: AsyncIterator<T>): void => {
    const step = iterator.next().then((result) => ({ iterator, result }))
    step.catch(() => {}) // observed through Promise.race; this only keeps an abandoned step from being "unhandled"
    active.set(iterator, step)
  }
  const fill = (): void => {
    while (active.size < limit && started < factories.length) pull(factories[started++]!())
  }
  try {
    fill()
    while (active.size > 0) {
      const { iterator, result } = await Promise.race(active.values())
      if (result.done) {
        active.delete(iterator)
        fill()
        continue
      }
      pull(iterator)
      yield result.value
    }
  } finally {
    // Close what is still running without waiting for it: a step in flight may be a request that only the
    // caller's abort ends, and the caller aborts after this returns.
    for (const [iterator, step] of active) {
      void step.then(
        () => iterator.return?.(),
        () => undefined,
      ).catch(() => undefined)
    }
    active.clear()
  }
}

import type { Sink } from '../contracts/sink.js'

const queues = new WeakMap<Sink, Promise<unknown>>()

/**
 * Runs `work` when no other fleet job of this process uses the same destination object: a sink
 * holds one open sync at a time (its writer methods carry no session), and a SQLite sink can't
 * fence while its own sync is mid-transaction. Jobs of connectors with destinations of their own
 * still run side by side (the worker's `concurrency`); more parallelism on one destination comes
 * from more worker processes.
 */
export function withSink<T>(sink: Sink, work: () => Promise<T>): Promise<T> {
  const before = queues.get(sink) ?? Promise.resolve()
  const turn = before.then(work, work)
  queues.set(sink, turn.catch(() => undefined))
  return turn
}

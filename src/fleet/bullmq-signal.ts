import type { BullMQ } from './redis-connection.js'

/**
 * Tells BullMQ what became of a job by throwing one of its own errors, which it recognises by
 * class: `WaitingChildrenError` (the job waits for its partitions), `DelayedError` (it went back
 * to the queue, delayed), `UnrecoverableError` (failed for good, no retry). These steer the queue;
 * they are not failures of sluice's, which are `SluiceError`s.
 */
export function bullmqSignal(bull: BullMQ, kind: 'WaitingChildrenError' | 'DelayedError' | 'UnrecoverableError', message?: string): never {
  throw new bull[kind](message)
}

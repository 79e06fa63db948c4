import type { ErrorsMessage } from '../contracts/sink.js'
import type { ErrorRecord, RecordError } from '../core/error-record.js'
import type { Message } from '../core/message.js'

/**
 * Puts the error records of a sync into its message stream. The source and the stages record an
 * error through `record` while they make a message; `interleave` yields the errors recorded so
 * far right before the next message it passes on. An error so travels ahead of the message that
 * was in the making when it was recorded: it commits with the checkpoint after it, never with
 * one before it, however far ahead `prefetch` reads (`test/sync/error-records-order.test.ts`:
 * an error recorded after a checkpoint used to commit with it when the sink was slow).
 */
export class ErrorChannel {
  #pending: ErrorRecord[] = []
  #count = 0

  /** The `recordError` handed to the source and the stages. */
  readonly record: RecordError = (error) => {
    this.#pending.push(error)
    this.#count++
  }

  /** Every error recorded so far, written or not. */
  get count(): number {
    return this.#count
  }

  /** The stream with an errors message before each message that had errors recorded while it was made, and one at the end. */
  async *interleave(messages: AsyncIterable<Message>): AsyncGenerator<Message | ErrorsMessage> {
    for await (const message of messages) {
      if (this.#pending.length > 0) yield this.#take()
      yield message
    }
    // Recorded after the last message (a source that records, then returns): committed at close.
    if (this.#pending.length > 0) yield this.#take()
  }

  #take(): ErrorsMessage {
    const errors = this.#pending
    this.#pending = []
    return { kind: 'errors', errors }
  }
}

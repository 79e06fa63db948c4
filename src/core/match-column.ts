import type { Message } from './message.js'
import { SluiceError } from './sluice-error.js'

/**
 * The column a `match: 'column'` delete matches on (the batch's only column), or `undefined` for
 * any other message. Sinks use it to route such deletes away from the by-key path; stages use it
 * to pass them through untouched. Throws `MATCH_INVALID` for a `'column'` match on an op other
 * than `delete`, or a batch with other than one column.
 *
 * @example
 * ```ts
 * import { op } from 'sluice'
 * import { matchColumn } from './match-column.js'
 * matchColumn(op.delete('t', { id: 1 })) // undefined: an ordinary delete by key
 * ```
 */
export function matchColumn(message: Message): string | undefined {
  if (message.kind !== 'records' || message.match === undefined || message.match === 'key') return undefined
  const names = message.batch.names
  if (message.match !== 'column' || message.op !== 'delete' || names.length !== 1) {
    throw new SluiceError({
      code: 'MATCH_INVALID',
      message: `table ${message.table}: match ${JSON.stringify(message.match)} needs op 'delete' and a batch of exactly one column, got op ${JSON.stringify(message.op)} with columns ${JSON.stringify(names)}`,
      context: { table: message.table },
    })
  }
  return names[0]!
}

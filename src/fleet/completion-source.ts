import type { State } from '../core/message.js'
import type { SluiceError } from '../core/sluice-error.js'
import type { Source } from '../contracts/source.js'
import { op } from '../source/op.js'

/**
 * The source of a backfill's completion sync: the connector's own tables, no rows, one
 * checkpoint moving the connector to the plan's `complete` state — committed with the deferred
 * truncates and the partitions' MAR (see `FleetRun.completes`). With `failure` (a partition failed
 * for good) it fails instead, so the connector's history records the failed backfill.
 */
export function completionSource(source: Source, complete: State, failure?: SluiceError): Source {
  return {
    ...(source.id ? { id: source.id } : {}),
    ...(source.tables ? { tables: (args) => source.tables!(args) } : {}),
    readAhead: true,
    // eslint-disable-next-line require-yield
    async *read() {
      if (failure) throw failure
      yield op.checkpoint(complete)
    },
  }
}

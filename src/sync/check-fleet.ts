import { SluiceError } from '../core/sluice-error.js'
import type { FleetRun, Sink } from '../contracts/sink.js'

function invalid(field: string, message: string): SluiceError {
  return new SluiceError({ code: 'CONFIG_INVALID', message, context: { option: field } })
}

/**
 * Checks `sync({ fleet })` before anything runs (`CONFIG_INVALID` naming the field): `epoch` a
 * non-negative safe integer, `partitionOf` a non-empty string, `completes` an array of connector
 * ids, not both; a destination many writers can share (one with `fence`); and no separate
 * `state` store, since a fleet's state must commit with the data, where the fence checks it.
 *
 * @example
 * ```ts
 * import { memory } from 'sluice'
 * import { checkFleet } from './check-fleet.js'
 * checkFleet({ epoch: 1, partitionOf: 'orders' }, memory(), false)
 * ```
 */
export function checkFleet(fleet: FleetRun | undefined, destination: Sink, separateState: boolean): void {
  if (fleet === undefined) return
  const given = fleet as unknown as Record<string, unknown>
  if (typeof given !== 'object' || given === null || Array.isArray(given)) throw invalid('sync.fleet', '`sync.fleet` must be an object such as { epoch } (from destination.fence)')
  for (const key of Object.keys(given)) {
    if (key !== 'epoch' && key !== 'partitionOf' && key !== 'completes') throw invalid(`sync.fleet.${key}`, `\`sync.fleet.${key}\` is not an option of sync.fleet (epoch, partitionOf, completes)`)
  }
  const { epoch, partitionOf, completes } = given
  if (typeof epoch !== 'number' || !Number.isSafeInteger(epoch) || epoch < 0) {
    throw invalid('sync.fleet.epoch', `\`sync.fleet.epoch\` must be a non-negative integer (from destination.fence), got ${JSON.stringify(epoch) ?? 'nothing'}`)
  }
  if (partitionOf !== undefined && (typeof partitionOf !== 'string' || partitionOf.trim() === '')) {
    throw invalid('sync.fleet.partitionOf', `\`sync.fleet.partitionOf\` must be the partitioned connector's id (a non-empty string), got ${JSON.stringify(partitionOf) ?? 'nothing'}`)
  }
  if (completes !== undefined && (!Array.isArray(completes) || completes.some((id) => typeof id !== 'string' || id.trim() === ''))) {
    throw invalid('sync.fleet.completes', '`sync.fleet.completes` must be an array of partition connector ids (non-empty strings)')
  }
  if (partitionOf !== undefined && completes !== undefined) {
    throw invalid('sync.fleet.completes', '`sync.fleet.completes` can\'t be given with `sync.fleet.partitionOf`: a run is a partition (partitionOf) or the completion of a backfill (completes), not both')
  }
  if (typeof destination.fence !== 'function') {
    throw invalid('sync.fleet', `\`sync.fleet\` needs a destination many writers can share, with fenced commits (postgres, sqlite, memory); the ${destination.name} destination has none (a single-writer destination)`)
  }
  if (separateState) {
    throw invalid('sync.state', '`sync.state` can\'t be given with `sync.fleet`: a fleet run keeps its state in the destination, committed with the data where its epoch is checked')
  }
}

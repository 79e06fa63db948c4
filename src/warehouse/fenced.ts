import { SluiceError } from '../core/sluice-error.js'

/**
 * The error of a fleet writer whose epoch is no longer its connector id's: another worker fenced
 * it (took the job over), so this writer's open transaction is rolled back. Not retryable: the
 * newer writer does the work; retrying with the same epoch would fail again.
 *
 * @example
 * ```ts
 * import { fenced } from './fenced.js'
 * const error = fenced('postgres', 'orders#p3', 1, 2) // FENCED: … epoch 1 …, now 2
 * ```
 */
export function fenced(destination: string, connectorId: string, epoch: number, current: number | undefined): SluiceError {
  const now = current === undefined ? 'it has no state row any more (reset?)' : `its epoch is now ${current}`
  return new SluiceError({
    code: 'FENCED',
    message: `${destination}: connector ${connectorId} was fenced: this writer holds epoch ${epoch} but ${now}; another writer took it over, and this one's uncommitted work was rolled back`,
    retryable: false,
    context: { connectorId, epoch, ...(current === undefined ? {} : { current }) },
  })
}

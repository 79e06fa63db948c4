import type { MarFilter, MarStore, MarUsage } from '../../contracts/mar-store.js'
import type { MarStorage } from './mar-storage.js'
import { meter } from './meter.js'

/**
 * How a destination's MAR methods reach it: `run` is the open sync's storage, its transaction
 * begun (writes there commit with the data); `usage` reads committed counts without a sync.
 */
export interface MarAccess {
  run(): Promise<{ readonly storage: MarStorage; readonly connectorId: string }>
  usage(filter: MarFilter): Promise<MarUsage[]>
}

/**
 * The `MarStore` methods of a destination, from its {@link MarAccess}.
 *
 * @example
 * ```ts
 * import { marMethods, type MarAccess } from './mar-methods.js'
 * declare const access: MarAccess
 * const { meter, readMar, recordMarThreshold } = marMethods(access)
 * ```
 */
export function marMethods(access: MarAccess): Required<MarStore> {
  return {
    async meter(args) {
      const { storage, connectorId } = await access.run()
      return meter(storage, connectorId, args)
    },
    readMar: (filter) => access.usage(filter),
    async recordMarThreshold({ month, threshold, rows }) {
      const { storage, connectorId } = await access.run()
      return storage.markThreshold(connectorId, month, threshold, rows)
    },
  }
}

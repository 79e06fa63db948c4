/** Redis keys the fleet keeps beside BullMQ's (under the same prefix). */
export function fleetKeys(prefix: string) {
  return {
    /** The run job that holds a connector now (a sync, or a backfill with its partitions). */
    run: (connectorId: string) => `${prefix}:sluice:run:${connectorId}`,
    /** Set while a connector is paused (a mirror of the destination's flag, polled by workers). */
    paused: (connectorId: string) => `${prefix}:sluice:paused:${connectorId}`,
    /** Shared request limits of an API: tokens and the time until which a 429 blocks it. */
    api: (api: string) => `${prefix}:sluice:api:${api}`,
  }
}

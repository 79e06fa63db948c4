/** Redis keys the fleet keeps beside BullMQ's (under the same prefix). */
export function fleetKeys(prefix: string) {
  return {
    /** The run job of a connector's partitioned backfill in progress. */
    backfill: (connectorId: string) => `${prefix}:sluice:backfill:${connectorId}`,
    /** Set while a connector is paused (a mirror of the destination's flag, polled by workers). */
    paused: (connectorId: string) => `${prefix}:sluice:paused:${connectorId}`,
    /** Shared request limits of an API: tokens and the time until which a 429 blocks it. */
    api: (api: string) => `${prefix}:sluice:api:${api}`,
  }
}

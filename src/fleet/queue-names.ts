/**
 * The queues of a fleet: one per API group, so a rate limit or a 429 pauses only the jobs of
 * connectors that call that API. Connectors without `api` share the `default` queue.
 */
export function queueName(api: string | undefined): string {
  return api === undefined ? 'default' : `api-${api}`
}

/** Job names: a connector's run (plain sync, or the plan and completion of a backfill), and one partition. */
export const RUN = 'run'
export const PARTITION = 'partition'

/** BullMQ job ids allow no `:`; partition keys may hold one. */
export function partitionJobId(parentId: string, key: string): string {
  return `${parentId}.${key.replaceAll(':', '~')}`
}

/** Connector id of a partition's own state, history and MAR: `<connector>#<key>`. */
export function partitionConnectorId(connectorId: string, key: string): string {
  return `${connectorId}#${key}`
}

import { SluiceError } from '../core/sluice-error.js'

/**
 * What `SinkStateStore.fence` is given.
 *
 * @example
 * ```ts
 * import type { FenceArgs } from './fence-row.js'
 * const args: FenceArgs = { connectorId: 'orders', truncate: ['orders'] }
 * ```
 */
export interface FenceArgs {
  readonly connectorId: string
  readonly truncate?: readonly string[]
}

/**
 * Checks `fence()`'s arguments (`CONFIG_INVALID` naming the field), for every destination that has it.
 *
 * @example
 * ```ts
 * import { checkFenceArgs } from './fence-row.js'
 * checkFenceArgs('postgres', { connectorId: 'orders', truncate: ['orders'] })
 * ```
 */
export function checkFenceArgs(destination: string, args: FenceArgs): void {
  const id: unknown = args?.connectorId
  if (typeof id !== 'string' || id.trim() === '') {
    throw new SluiceError({ code: 'CONFIG_INVALID', message: `${destination}: fence({ connectorId }) needs a non-empty connector id, got ${JSON.stringify(id) ?? 'nothing'}`, context: { option: 'fence.connectorId' } })
  }
  const truncate: unknown = args.truncate
  if (truncate !== undefined && (!Array.isArray(truncate) || truncate.some((t) => typeof t !== 'string' || t === ''))) {
    throw new SluiceError({ code: 'CONFIG_INVALID', message: `${destination}: fence({ truncate }) must be an array of table names`, context: { option: 'fence.truncate' } })
  }
}

/**
 * The pending truncates of a connector's state row after `fence({ truncate })`: each table not
 * already pending gets a truncate at the fence (an earlier pending one is kept, as a replace-mode
 * table's implicit truncate is). Its time is now, but after the row's last write, so every row
 * the connector wrote before the fence is before it.
 *
 * @example
 * ```ts
 * import { fencedPending } from './fence-row.js'
 * fencedPending({ pending: {}, lastSynced: 0 }, ['orders']) // { orders: '<now, ISO>' }
 * ```
 */
export function fencedPending(
  row: { readonly pending: Readonly<Record<string, string>>; readonly lastSynced: number },
  truncate: readonly string[] | undefined,
  now = Date.now(),
): Record<string, string> {
  const pending = { ...row.pending }
  const at = new Date(Math.max(now, row.lastSynced + 1)).toISOString()
  for (const table of truncate ?? []) pending[table] ??= at
  return pending
}

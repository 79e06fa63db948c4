import { SluiceError } from '../../core/sluice-error.js'
import type { MarMode } from '../../contracts/mar-store.js'

/**
 * The error of a sync that meters a table in another mode than the month began with: a month's
 * keys and a sketch can't be merged, so the month is refused rather than counted twice or lost.
 *
 * @example
 * ```ts
 * import { marModeChanged } from './mar-mode-changed.js'
 * const error = marModeChanged({ connectorId: 'shop', table: 'orders', month: '2026-11', mode: 'exact' })
 * ```
 */
export function marModeChanged(args: { readonly connectorId: string; readonly table: string; readonly month: string; readonly mode: MarMode; readonly restartHint?: string }): SluiceError {
  const { connectorId, table, month, mode, restartHint } = args
  return new SluiceError({
    code: 'MAR_MODE_CHANGED',
    message: `MAR of table ${table} (connector ${connectorId}) is counted in ${mode} mode for ${month}; switch mar.mode at the start of a month${restartHint ? `, or ${restartHint} to start the month over` : ''}`,
    context: { connectorId, table, month, mode },
  })
}

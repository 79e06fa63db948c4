import { SluiceError } from '../../core/sluice-error.js'
import type { TableSpec, WriteMode } from '../../core/table-spec.js'
import { modeOf } from '../../core/write-mode.js'

/**
 * Refuses, with `CONFIG_INVALID`, a table declared with a write mode the sink can't honour — at
 * `open()` for declared tables, or when a `create_table` message announces one. Writing it in
 * another mode instead would be a silent downgrade (history rows overwritten as upserts).
 *
 * @example
 * ```ts
 * import { requireSupportedModes } from './supported-modes.js'
 * requireSupportedModes('files', [{ table: 'orders', mode: 'upsert' }], ['upsert', 'append', 'replace'])
 * ```
 */
export function requireSupportedModes(sink: string, tables: readonly TableSpec[], supported: readonly WriteMode[]): void {
  for (const spec of tables) {
    const mode = modeOf(spec)
    if (supported.includes(mode)) continue
    throw new SluiceError({
      code: 'CONFIG_INVALID',
      message: `${sink}: table ${JSON.stringify(spec.table)} is declared with mode ${mode}, which the ${sink} sink can't write; declare one of ${supported.join(', ')}, or sync it to a destination with ${mode} mode`,
      context: { sink, table: spec.table, mode, supported },
    })
  }
}

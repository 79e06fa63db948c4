import { join } from 'node:path'

/**
 * Where `sluice debug` and `sluice reset` keep the warehouse and the state of a connector
 * directory: `dir/files/warehouse.db` and `dir/files/state.json`, as `fivetran debug` does.
 *
 * @example
 * ```ts
 * import { debugPaths } from './debug-paths.js'
 * debugPaths('my_connector').warehouse // 'my_connector/files/warehouse.db'
 * ```
 */
export function debugPaths(dir: string): { files: string; warehouse: string; state: string } {
  const files = join(dir, 'files')
  return { files, warehouse: join(files, 'warehouse.db'), state: join(files, 'state.json') }
}

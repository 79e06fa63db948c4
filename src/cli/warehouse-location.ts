import { statSync } from 'node:fs'
import { relative, resolve } from 'node:path'
import { SluiceError } from '../core/sluice-error.js'
import { debugPaths } from './debug-paths.js'
import { warehouseFormat, type WarehouseFormat } from './warehouse-format.js'

/**
 * What `sluice status`, `mar` and `schema` read: a connector folder (its `files/warehouse.db`,
 * written by `sluice debug`), or `{ warehouse }`, any SQLite or DuckDB file a sync wrote
 * (`--warehouse path`).
 */
export type WarehouseLocation = string | { readonly warehouse: string; readonly label?: string }

/** A warehouse file found from a {@link WarehouseLocation}. */
export interface LocatedWarehouse {
  /** Absolute path of the file. */
  readonly path: string
  /** True when named with `--warehouse`, false when it is a connector folder's. */
  readonly explicit: boolean
  /** The path as the user wrote it (`--warehouse` value), for messages. */
  readonly label?: string
  /** False when there is no file there (yet). */
  readonly exists: boolean
  /** The engine that wrote it, from its header; SQLite for an empty or missing file. */
  readonly format: WarehouseFormat
}

/**
 * Finds the warehouse file of `where` and its engine. A `--warehouse` path that is a folder, or
 * a file that is neither SQLite nor DuckDB, throws `USAGE` / `WAREHOUSE_FORMAT` naming the option.
 *
 * @example
 * ```ts
 * import { locateWarehouse } from './warehouse-location.js'
 * locateWarehouse({ warehouse: 'data/shop.db' }) // { path: '/…/data/shop.db', explicit: true, exists: true, format: 'sqlite' }
 * ```
 */
export function locateWarehouse(where: WarehouseLocation): LocatedWarehouse {
  if (typeof where === 'string') {
    const path = debugPaths(resolve(where)).warehouse
    return { path, explicit: false, exists: statSync(path, { throwIfNoEntry: false }) !== undefined, format: warehouseFormat(path) ?? 'sqlite' }
  }
  const path = resolve(where.warehouse)
  const label = where.label ?? where.warehouse
  const stat = statSync(path, { throwIfNoEntry: false })
  if (stat?.isDirectory()) {
    throw new SluiceError({
      code: 'USAGE',
      message: `--warehouse ${label} is a folder; pass the database file itself, or the connector folder without --warehouse`,
      context: { path },
    })
  }
  let format: WarehouseFormat | undefined
  try {
    format = warehouseFormat(path)
  } catch (cause) {
    throw new SluiceError({
      code: 'WAREHOUSE_FORMAT',
      message: `--warehouse ${label} is neither a SQLite nor a DuckDB database; pass a file a sync wrote`,
      context: { path },
      cause,
    })
  }
  return { path, explicit: true, label, exists: stat !== undefined, format: format ?? 'sqlite' }
}

/** What to print when there is no warehouse file at `located`, relative to `cwd`. */
export function noWarehouse(located: LocatedWarehouse, cwd: string = process.cwd()): string {
  const shown = located.label ?? (relative(cwd, located.path) || located.path)
  return located.explicit
    ? `No warehouse file at ${shown}; pass the path of a SQLite or DuckDB file a sync wrote`
    : `No warehouse at ${shown}; run \`sluice debug\` first`
}

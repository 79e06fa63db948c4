import { configInvalid, knownKeys, positiveInteger, positiveMs } from './check-option.js'

/** How often a source checkpoints: once this many rows (or changes) … or this many milliseconds passed since its last checkpoint. */
export interface CheckpointEvery {
  readonly rows: number
  readonly ms: number
}

/**
 * Validates a `checkpointEvery: { rows?, ms? }` option (defaults 10_000 rows, 1_000 ms); throws
 * `CONFIG_INVALID` naming `at`.
 *
 * @example
 * ```ts
 * import { parseCheckpointEvery } from './checkpoint-every.js'
 * parseCheckpointEvery({ ms: 250 }, 'idCursor.checkpointEvery') // { rows: 10_000, ms: 250 }
 * ```
 */
export function parseCheckpointEvery(value: unknown, at: string): CheckpointEvery {
  const every = value ?? {}
  if (typeof every !== 'object' || every === null || Array.isArray(every)) throw configInvalid(at, '{ rows?, ms? }', every)
  knownKeys(every, ['rows', 'ms'], at)
  const { rows, ms } = every as { readonly rows?: unknown; readonly ms?: unknown }
  return { rows: positiveInteger(`${at}.rows`, rows ?? 10_000), ms: positiveMs(`${at}.ms`, ms ?? 1_000) }
}

import type { Sink, WriteMode } from '../../src/index.js'

/**
 * THE list of destinations every shared suite (test/sink/matrix/) and the SIGKILL proof run
 * against. Adding a destination is one entry here: its name, how to open one at a location, and
 * what it declares it can do. A capability a destination lacks is not skipped: the matrix asserts
 * that asking for it is refused (CONFIG_INVALID, MAR_UNAVAILABLE, …) before anything is written.
 *
 * Pick a subset with `SLUICE_DESTINATIONS=sqlite,postgres` (as kysely's `DIALECTS`): a name selects
 * that destination, a family (`files`) every destination of it (`files-parquet`, `files-csv`, …).
 *
 * No vitest import: the crash child (test/support/crash-child.ts) opens destinations from this list.
 */

/** The library a destination is built from: the sources (`src/`), or the built package (`dist`). */
export interface Library {
  readonly label: string
  core(): Promise<typeof import('../../src/index.js')>
  postgres(): Promise<typeof import('../../src/postgres.js')>
  duckdb(): Promise<typeof import('../../src/duckdb.js')>
  files(): Promise<typeof import('../../src/files.js')>
}

/** The library as the sources; the built package's is made by test/support/built-package.ts. */
export const SRC: Library = {
  label: 'src',
  core: () => import('../../src/index.js'),
  postgres: () => import('../../src/postgres.js'),
  duckdb: () => import('../../src/duckdb.js'),
  files: () => import('../../src/files.js'),
}

/**
 * The SIGKILL proof's counts for one destination (test/sink/matrix/crash.test.ts): the sync of the
 * first `pages` pages of the crash stream is killed until `kills` kills landed (at least
 * `minLanded` must), each after 0…`maxCheckpointsBeforeKill` committed checkpoints and 0–39 ms.
 */
export interface CrashPlan {
  readonly kills: number
  readonly minLanded: number
  readonly pages: number
  readonly maxCheckpointsBeforeKill: number
}

/** What a destination declares. */
export interface Capabilities {
  /** Write modes it keeps; any other is refused at `open()` with CONFIG_INVALID. */
  readonly modes: readonly WriteMode[]
  /** `MarStore` (meter, readMar, thresholds); without it `sync({ mar })` is MAR_UNAVAILABLE. */
  readonly mar: boolean
  /** `ConnectorStore`: leases, pause flags, sync history. */
  readonly connectorStore: boolean
  /** State commits in the destination with the data; a `StateStore` passed to sync is then a mirror. */
  readonly keepsState: boolean
  /** `fence` (many writers, fenced commits: a fleet); without it `sync({ fleet })` is CONFIG_INVALID. */
  readonly fleet: boolean
  /** Outlives its process: proven by SIGKILL with these counts. Absent: nothing survives a kill. */
  readonly crash?: CrashPlan
}

/** Where one instance lives: a fresh path (file or directory), a fresh Postgres schema, or the process. */
export type Place = 'path' | 'pg-schema' | 'process'

export interface Destination {
  /** As selected by SLUICE_DESTINATIONS; `family-variant` names belong to `family`. */
  readonly name: string
  readonly place: Place
  /** A service that must be up (under CI=true its absence fails, elsewhere it skips). */
  readonly service?: 'PostgreSQL'
  readonly capabilities: Capabilities
  /** The destination at `at` (a path or a schema; ignored in the process), built from `lib`. */
  open(lib: Library, at: string): Promise<Sink>
}

const ALL_MODES: readonly WriteMode[] = ['upsert', 'append', 'replace', 'history']
const FULL = { modes: ALL_MODES, mar: true, connectorStore: true, keepsState: true, fleet: false } as const
/** Many writers can share it (a fleet): fenced commits, partition runs, completions. */
const SHARED = { ...FULL, fleet: true } as const
/** A lake is a log that readers replay to the latest row per key: it keeps no SCD2 versions. */
const LAKE = { ...FULL, modes: ['upsert', 'append', 'replace'] } as const satisfies Capabilities
const PG_URL = process.env.SLUICE_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

// Crash counts as the proofs before this matrix had them (sqlite 20, thread 8 — each child also
// starts a worker —, postgres 10 over 80 pages as every commit waits for a WAL flush, duckdb 12
// spread over the stream, 10 of which must land). The files lake's data proof is new; its MAR
// proof (and sqlite's) had 6 kills over the 200 pages in test/mar/mar-crash.test.ts.
export const DESTINATIONS: readonly Destination[] = [
  { name: 'memory', place: 'process', capabilities: SHARED, open: async (lib) => (await lib.core()).memory() },
  { name: 'sqlite', place: 'path', capabilities: { ...SHARED, crash: { kills: 20, minLanded: 20, pages: 200, maxCheckpointsBeforeKill: 4 } }, open: async (lib, path) => (await lib.core()).sqlite({ path }) },
  { name: 'sqlite-thread', place: 'path', capabilities: { ...SHARED, crash: { kills: 8, minLanded: 8, pages: 200, maxCheckpointsBeforeKill: 4 } }, open: async (lib, path) => (await lib.core()).sqlite({ path, thread: true }) },
  { name: 'postgres', place: 'pg-schema', service: 'PostgreSQL', capabilities: { ...SHARED, crash: { kills: 10, minLanded: 10, pages: 80, maxCheckpointsBeforeKill: 4 } }, open: async (lib, schema) => (await lib.postgres()).postgres({ connection: PG_URL, schema }) },
  { name: 'duckdb', place: 'path', capabilities: { ...FULL, crash: { kills: 12, minLanded: 10, pages: 200, maxCheckpointsBeforeKill: 15 } }, open: async (lib, path) => (await lib.duckdb()).duckdb({ path }) },
  { name: 'files-parquet', place: 'path', capabilities: LAKE, open: async (lib, dir) => (await lib.files()).files({ dir, format: 'parquet' }) },
  { name: 'files-arrow', place: 'path', capabilities: LAKE, open: async (lib, dir) => (await lib.files()).files({ dir, format: 'arrow' }) },
  { name: 'files-ndjson', place: 'path', capabilities: { ...LAKE, crash: { kills: 8, minLanded: 8, pages: 200, maxCheckpointsBeforeKill: 4 } }, open: async (lib, dir) => (await lib.files()).files({ dir, format: 'ndjson' }) },
  { name: 'files-csv', place: 'path', capabilities: LAKE, open: async (lib, dir) => (await lib.files()).files({ dir, format: 'csv' }) },
]

/** The destination named `name` (a crash child is told which by name). */
export function destination(name: string): Destination {
  const found = DESTINATIONS.find((d) => d.name === name)
  if (!found) throw new Error(`no destination "${name}" in test/sink/destinations.ts (${DESTINATIONS.map((d) => d.name).join(', ')})`)
  return found
}

/** The destinations SLUICE_DESTINATIONS selects (all when unset); an unknown name fails rather than selecting nothing. */
export function selectedDestinations(filter = process.env.SLUICE_DESTINATIONS): readonly Destination[] {
  if (!filter?.trim()) return DESTINATIONS
  const wanted = filter.split(',').map((s) => s.trim()).filter(Boolean)
  const family = (d: Destination) => d.name.split('-')[0]
  for (const w of wanted) {
    if (!DESTINATIONS.some((d) => d.name === w || family(d) === w)) {
      throw new Error(`SLUICE_DESTINATIONS names "${w}", which is no destination or family in test/sink/destinations.ts`)
    }
  }
  return DESTINATIONS.filter((d) => wanted.includes(d.name) || wanted.includes(family(d)!))
}

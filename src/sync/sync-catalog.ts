import type { Selection } from '../contracts/selection.js'
import type { Configuration, Source, SourceCatalog } from '../contracts/source.js'
import type { Stage } from '../contracts/stage.js'
import { parseTableSpecs, type TableSpec } from '../core/table-spec.js'
import { isNameKeeping } from '../stage/keeps-names.js'
import { selectionOf, selectionOfAll, selectTables } from '../stage/select.js'

/**
 * What one sync moves, worked out before anything is read from what the source and the stages
 * declare: the source's `tables()`, each stage's `selection` and `keepsNames`. The source gets
 * its part as `catalog` in `read()`'s arguments; nothing is learnt by watching the stages run.
 */
export interface SyncCatalog {
  /** Handed to the source: its declared tables as the source-side selection narrows them, and that selection. */
  readonly source: SourceCatalog
  /** Every table the source declares, before any `select` (stages that see the source's names get them). */
  readonly declared: readonly TableSpec[]
  /** What the destination receives of the declared tables: every `select` applied, wherever it stands. */
  readonly destinationTables: readonly TableSpec[]
  /** For each stage, whether it sees the source's own names (no stage before it renames). */
  readonly seesSourceNames: readonly boolean[]
}

/** Builds the catalog of a sync (see {@link SyncCatalog}); reads `source.tables()` once. */
export async function syncCatalog(source: Source, stages: readonly Stage[], configuration: Configuration): Promise<SyncCatalog> {
  // Only the select stages before the first stage that may rename speak of the source's names (see selectionOf).
  const selection: Selection | undefined = selectionOf(stages)
  const declared = source.tables ? parseTableSpecs(await source.tables({ configuration }), 'source tables') : []
  // Blocked tables and columns never reach the destination, not even as declared empty tables. A
  // select() after flatten or transform doesn't reach the source (see selectionOf), but it still
  // keeps what it blocks of the declared tables from the destination; the stages see them all.
  const tables = selection ? selectTables(declared, selection) : declared
  const destinationSelection = selectionOfAll(stages)
  const destinationTables = destinationSelection ? selectTables(tables, destinationSelection) : tables
  const seesSourceNames: boolean[] = []
  let sourceNames = true
  for (const stage of stages) {
    seesSourceNames.push(sourceNames)
    sourceNames &&= isNameKeeping(stage)
  }
  return { source: { tables, ...(selection ? { selection } : {}) }, declared, destinationTables, seesSourceNames }
}

import { SluiceError } from '../core/sluice-error.js'
import { parseTableSpecs } from '../core/table-spec.js'
import { toSource, type Configuration, type Source, type SourceLike } from '../contracts/source.js'
import { marKeys } from './key-hash.js'
import { KeySet } from './key-set.js'
import { knownOptions } from '../core/check-option.js'

/**
 * A source that can say how many rows each table holds (a `COUNT(*)`, an API's `total` field),
 * which lets `estimateMar` extrapolate from its sample instead of reporting a lower bound.
 *
 * @example
 * ```ts
 * import { fromIterable, type CountingSource } from 'sluice'
 * const rows = [{ id: 1 }, { id: 2 }]
 * const source: CountingSource = { ...fromIterable('t', rows, { primaryKey: ['id'] }), rowCount: () => ({ t: rows.length }) }
 * ```
 */
export interface CountingSource extends Source {
  /** Rows per table (a `COUNT(*)`, an API's `total`), so `estimateMar` extrapolates from its sample instead of reporting a lower bound. */
  rowCount?(args: { readonly configuration: Configuration }): Readonly<Record<string, number>> | Promise<Readonly<Record<string, number>>>
}

/**
 * Options of {@link estimateMar}.
 *
 * @example
 * ```ts
 * import type { EstimateMarOptions } from 'sluice'
 * const options: EstimateMarOptions = { sample: 50_000, rows: { orders: 2_400_000 } }
 * ```
 */
export interface EstimateMarOptions {
  /** Most rows to read (default 100_000). */
  readonly sample?: number
  readonly configuration?: Configuration
  /** Rows per table the source holds, when you know them; wins over the source's `rowCount`. */
  readonly rows?: Readonly<Record<string, number>>
  readonly signal?: AbortSignal
}

/**
 * The estimate for one table. `basis` says how far to trust it: `'complete'` — the whole source
 * was read, the count is exact; `'extrapolated'` — the sample's share of distinct keys scaled to
 * the row count the source gave; `'at-least'` — the source could not say its size, so this is the
 * sample's distinct keys, a lower bound.
 *
 * @example
 * ```ts
 * import type { TableMarEstimate } from 'sluice'
 * const t: TableMarEstimate = { sampledRows: 1000, distinctKeys: 980, estimate: 980, basis: 'at-least' }
 * ```
 */
export interface TableMarEstimate {
  readonly sampledRows: number
  readonly distinctKeys: number
  /** Rows the source (or `options.rows`) says the table holds. */
  readonly sourceRows?: number
  readonly estimate: number
  readonly basis: 'complete' | 'extrapolated' | 'at-least'
}

/**
 * What `estimateMar` found: per table and in total; `atLeast` is true when any table's figure is
 * only a lower bound, so the total is one too.
 *
 * @example
 * ```ts
 * import type { MarEstimate } from 'sluice'
 * const say = (e: MarEstimate) => `${e.atLeast ? 'at least ' : '~'}${e.total} MAR`
 * ```
 */
export interface MarEstimate {
  readonly tables: Record<string, TableMarEstimate>
  readonly total: number
  readonly atLeast: boolean
  readonly sampledRows: number
  /** The source ended within the sample: every figure is exact. */
  readonly complete: boolean
}

/**
 * Estimates the MAR a first sync of `source` would bill, before running it: reads up to `sample`
 * rows from an empty state (nothing is written anywhere), counts distinct keys per table as sync
 * meters them (every operation counts), and extrapolates with the table sizes the source reports
 * (`rowCount`) or `options.rows`. The sample is the first rows, not a random draw: sources that
 * read oldest first estimate duplicates well, a source whose duplicates cluster later doesn't.
 *
 * @example
 * ```ts
 * import { estimateMar, fromIterable } from 'sluice'
 * const e = await estimateMar(fromIterable('t', [{ id: 1 }, { id: 1 }, { id: 2 }], { primaryKey: ['id'] }), { sample: 10 })
 * e.tables.t // { sampledRows: 3, distinctKeys: 2, estimate: 2, basis: 'complete' }
 * ```
 */
export async function estimateMar(source: SourceLike | CountingSource, options: EstimateMarOptions = {}): Promise<MarEstimate> {
  knownOptions(options, { sample: true, configuration: true, rows: true, signal: true }, 'estimateMar')
  const sample = options.sample ?? 100_000
  if (!Number.isInteger(sample) || sample < 1) {
    throw new SluiceError({ code: 'CONFIG_INVALID', message: `\`estimateMar.sample\` must be a positive integer (rows), got ${JSON.stringify(sample)}`, context: { option: 'estimateMar.sample' } })
  }
  const src = toSource(source) as CountingSource
  const configuration = options.configuration ?? {}
  const specs = src.tables ? parseTableSpecs(await src.tables({ configuration }), 'source tables') : []
  const keysOf = new Map(specs.map((s) => [s.table, s.primaryKey ?? []]))
  const sizes: Record<string, number> = { ...((await src.rowCount?.({ configuration })) ?? {}), ...(options.rows ?? {}) }

  const seen = new Map<string, { rows: number; keys: KeySet }>()
  for (const s of specs) seen.set(s.table, { rows: 0, keys: new KeySet() })
  const abort = new AbortController()
  const onAbort = () => abort.abort(options.signal?.reason)
  options.signal?.addEventListener('abort', onAbort, { once: true })
  let sampled = 0
  let complete = true
  try {
    for await (const message of src.read({ state: undefined, signal: abort.signal, configuration, recordError: () => {} })) {
      if (message.kind !== 'records') continue
      let t = seen.get(message.table)
      if (!t) seen.set(message.table, (t = { rows: 0, keys: new KeySet() }))
      const batch = message.batch.length > sample - sampled ? message.batch.slice(0, sample - sampled) : message.batch
      t.keys.addAll(marKeys(batch, keysOf.get(message.table) ?? []))
      t.rows += batch.length
      sampled += batch.length
      if (sampled >= sample) {
        complete = false
        break
      }
    }
  } finally {
    abort.abort()
    options.signal?.removeEventListener('abort', onAbort)
  }

  const tables: Record<string, TableMarEstimate> = {}
  let total = 0
  let atLeast = false
  for (const [table, t] of seen) {
    const distinctKeys = t.keys.size
    const sourceRows = sizes[table]
    let estimate = distinctKeys
    let basis: TableMarEstimate['basis'] = 'complete'
    if (!complete) {
      if (sourceRows !== undefined && Number.isFinite(sourceRows)) {
        basis = 'extrapolated'
        // Rows never sampled are assumed to repeat keys at the sample's rate (all distinct when unseen).
        estimate = t.rows > 0 ? Math.max(distinctKeys, Math.round((distinctKeys / t.rows) * sourceRows)) : sourceRows
      } else {
        basis = 'at-least'
        atLeast = true
      }
    }
    tables[table] = { sampledRows: t.rows, distinctKeys, ...(sourceRows !== undefined ? { sourceRows } : {}), estimate, basis }
    total += estimate
  }
  return { tables, total, atLeast, sampledRows: sampled, complete }
}

import { SluiceError } from '../core/sluice-error.js'
import type { Sink } from '../contracts/sink.js'
import { parseMarMonth } from './mar-month.js'
import type { MarStore, MarUsage } from '../contracts/mar-store.js'
import { knownOptions } from '../core/check-option.js'

/**
 * Options of {@link marReport}: the destination to read and optional filters.
 *
 * @example
 * ```ts
 * import { sqlite, type MarReportOptions } from 'sluice'
 * const options: MarReportOptions = { destination: sqlite({ path: 'warehouse.db' }), month: '2026-11' }
 * ```
 */
export interface MarReportOptions {
  readonly destination: Sink
  /** `'YYYY-MM'` (UTC); all months when left out. */
  readonly month?: string
  /** A connector id; all connectors when left out. */
  readonly connector?: string
  /** A table (source name); all tables when left out. */
  readonly table?: string
}

/**
 * Reads MAR back from a destination: distinct rows written per connector, table and month,
 * ordered by month, connector and table (`approximate: true` marks HyperLogLog estimates).
 * Use it for billing dashboards and budget checks outside a sync; it needs no open sync.
 * Throws `MAR_UNAVAILABLE` for a destination that doesn't keep MAR.
 *
 * @example
 * ```ts
 * import { marReport, sqlite } from 'sluice'
 * const rows = await marReport({ destination: sqlite({ path: 'warehouse.db' }), month: '2026-11' })
 * const total = rows.reduce((n, r) => n + r.rows, 0)
 * ```
 */
export async function marReport(options: MarReportOptions): Promise<MarUsage[]> {
  knownOptions(options, { destination: true, month: true, connector: true, table: true }, 'marReport')
  const store = options?.destination as (Sink & MarStore) | undefined
  if (!store || typeof store.readMar !== 'function') {
    throw new SluiceError({
      code: 'MAR_UNAVAILABLE',
      message: `marReport({ destination }) needs a destination that keeps MAR, such as sqlite({ path }) or memory(); got ${store?.name ?? String(store)}`,
    })
  }
  const month = options.month === undefined ? undefined : parseMarMonth(options.month, 'marReport.month')
  return store.readMar({
    ...(options.connector !== undefined ? { connectorId: options.connector } : {}),
    ...(month !== undefined ? { month } : {}),
    ...(options.table !== undefined ? { table: options.table } : {}),
  })
}

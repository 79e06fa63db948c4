import { expect } from 'vitest'
import { memory, sync, type MemorySink, type Row, type Source, type SyncOptions, type SyncReport } from '../../../src/index.js'
import { offset } from '../../../src/source/rest/offset-paginator.js'
import type { RestStream } from '../../../src/source/rest/rest-options.js'
import type { FaultApi } from '../../support/fault-api.js'

/** The orders stream over the fault API's offset endpoint, pages of 10. */
export function ordersStream(over: Partial<RestStream> = {}): RestStream {
  return { table: 'orders', path: '/offset/orders', records: 'data', primaryKey: ['id'], paginate: offset({ limit: 10 }), ...over }
}

/** Runs one sync into `sink` (memory by default). */
export async function syncInto(source: Source, sink: MemorySink = memory(), extra: Partial<SyncOptions> = {}): Promise<SyncReport> {
  return sync({ source, destination: sink, ...extra })
}

/** Rows of a table without the system columns, by id. */
export function destRows(sink: MemorySink, table = 'orders', key = 'id'): Row[] {
  return sink
    .rows(table)
    .filter((r) => r['_sluice_deleted'] !== true)
    .map((r) => Object.fromEntries(Object.entries(r).filter(([k, v]) => !k.startsWith('_sluice_') && v !== null)))
    .sort((a, b) => Number(a[key]) - Number(b[key]))
}

/** The destination holds exactly the API's rows, value for value. */
export function expectSameAsSource(sink: MemorySink, api: FaultApi): void {
  const want = api.rows()
  const got = destRows(sink)
  expect(got.length).toBe(want.length)
  expect(got).toEqual(want)
}

/** Fails with the report's error when a sync did not succeed. */
export function expectSucceeded(report: SyncReport): void {
  if (report.status !== 'succeeded') throw new Error(`sync ${report.status}: ${report.error?.code} ${report.error?.message}`)
}

/** Data requests (not /token) the API saw for a path prefix. */
export function requests(api: FaultApi, prefix = '/'): FaultApi['log'] {
  return api.log.filter((r) => r.path.startsWith(prefix))
}

import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { duckdb } from '../../src/duckdb.js'
import { files } from '../../src/files.js'
import { memory, sqlite, type Sink } from '../../src/index.js'
import { postgres } from '../../src/postgres.js'
import type { ErrorRecord } from '../../src/core/error-record.js'
import type { SyncReport } from '../../src/contracts/sync-report.js'
import { PG_URL, schemas } from '../source/postgres/pg-service.js'

const fresh = schemas('errors_message')
const dir = mkdtempSync(join(tmpdir(), 'sluice-errors-message-'))
let n = 0
const SINKS: [string, () => Sink][] = [
  ['memory', () => memory()],
  ['sqlite', () => sqlite({ path: join(dir, `w${n++}.db`) })],
  ['sqlite (thread)', () => sqlite({ path: join(dir, `w${n++}.db`), thread: true })],
  ['postgres', () => postgres({ connection: PG_URL, schema: fresh.next() })],
  ['duckdb', () => duckdb({ path: join(dir, `w${n++}.duckdb`) })],
  ['files', () => files({ dir: join(dir, `lake${n++}`), format: 'ndjson' })],
]

const report = (status: SyncReport['status']): SyncReport => ({
  status, connectorId: 'c', syncId: `s${n++}`, startedAt: new Date().toISOString(), endedAt: new Date().toISOString(), durationMs: 0,
  rows: 0, checkpoints: 0, schemaChanges: 0, tables: {},
})
const error = (message: string): ErrorRecord => ({ kind: 'record', code: 'VALIDATION_FAILED', message, table: 't', record: { id: 1 } })

for (const [name, make] of SINKS) {
  describe(`errors message: ${name}`, () => {
    it('keeps the error records of a checkpointed transaction, in stream order, and drops those rolled back', async () => {
      const sink = make()
      await sink.open({ connectorId: 'c', syncId: 's1', tables: [] })
      await sink.write({ message: { kind: 'errors', errors: [error('first'), error('second')] } })
      await sink.checkpoint({ state: { page: 1 } })
      await sink.write({ message: { kind: 'errors', errors: [error('rolled back')] } })
      await sink.close({ status: 'failed', report: report('failed') })
      expect((await sink.readErrors!()).map((e) => e.message)).toEqual(['first', 'second'])
      expect((await sink.readErrors!())[0]).toMatchObject({ kind: 'record', code: 'VALIDATION_FAILED', table: 't', record: { id: 1 } })
    })
  })
}

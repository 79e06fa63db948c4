import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { memory, sqlite, type Sink } from '../../src/index.js'
import { describeDriftConformance } from '../schema-drift/drift-conformance.js'
import { describeChildTableConformance } from './child-table-conformance.js'
import { describeErrorRecords, describeSchemaHistory, describeSinkConformance } from './sink-conformance.js'

const dir = mkdtempSync(join(tmpdir(), 'sluice-conformance-'))
let n = 0
const SINKS: [string, () => Sink][] = [
  ['memory', () => memory()],
  ['sqlite', () => sqlite({ path: join(dir, `w${n++}.db`) })],
  ['sqlite (thread)', () => sqlite({ path: join(dir, `w${n++}.db`), thread: true })],
]

for (const [name, make] of SINKS) {
  describeSinkConformance(name, make)
  describeErrorRecords(name, make)
  describeSchemaHistory(name, make)
  describeDriftConformance(name, make)
  describeChildTableConformance(name, make)
}

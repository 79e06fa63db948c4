import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll } from 'vitest'
import { memory, sqlite } from '../../src/index.js'
import { describeConnectorStoreConformance } from './connector-store-conformance.js'

const dir = mkdtempSync(join(tmpdir(), 'sluice-store-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
let n = 0
describeConnectorStoreConformance('memory', () => memory())
describeConnectorStoreConformance('sqlite', () => sqlite({ path: join(dir, `s${n++}.db`) }))
describeConnectorStoreConformance('sqlite (thread)', () => sqlite({ path: join(dir, `s${n++}.db`), thread: true }))

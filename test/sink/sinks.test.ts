import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { memory, sqlite } from '../../src/index.js'
import { describeSinkConformance } from './sink-conformance.js'

const dir = mkdtempSync(join(tmpdir(), 'sluice-conformance-'))
let n = 0

describeSinkConformance('memory', () => memory())
describeSinkConformance('sqlite', () => sqlite({ path: join(dir, `w${n++}.db`) }))

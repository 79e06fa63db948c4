import { describe, expect, it } from 'vitest'
import { builtLibrary } from '../../support/built-package.js'
import { SRC } from '../destinations.js'
import { forEachDestination } from './each-destination.js'
import { describeWriteModes } from './write-modes.js'
import { describeConnectorStoreAbsent, describeConnectorStoreConformance } from './connector-store.js'
import { describeMarConformance, describeMarRefused } from './mar.js'

// One conformance pass against the package as published (dist/, built once per run by
// test/support/built-package.ts, shared with test/package/built-entries.test.ts), not src/: every
// write mode × operation on every destination, through the built entries' `sync` and `op`; then the
// MAR and connector-store suites over the built destinations.
const lib = await builtLibrary()
forEachDestination('write modes', (c) => describeWriteModes(c), { lib })
// The stores of the built destinations (MAR metering in the sync's transaction, leases, pause
// flags, history), driven by the sources' sync: the contracts between them are structural.
forEachDestination('MAR', ({ destination, make }) => {
  if (destination.capabilities.mar) describeMarConformance(`${destination.name} from dist`, make)
  else describeMarRefused(`${destination.name} from dist`, make)
}, { lib })
forEachDestination('connector store', ({ destination, make }) => {
  if (destination.capabilities.connectorStore) describeConnectorStoreConformance(`${destination.name} from dist`, make)
  else describeConnectorStoreAbsent(`${destination.name} from dist`, make)
}, { lib })

describe('the built-package pass', () => {
  it('runs the built entries, not the sources', async () => {
    const [built, sources] = [await lib.core(), await SRC.core()]
    expect(built.sync).not.toBe(sources.sync)
    expect(built.op).not.toBe(sources.op)
  })
})

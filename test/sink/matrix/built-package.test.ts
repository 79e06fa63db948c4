import { describe, expect, it } from 'vitest'
import { builtLibrary } from '../../support/built-package.js'
import { SRC } from '../destinations.js'
import { forEachDestination } from './each-destination.js'
import { describeWriteModes } from './write-modes.js'

// One conformance pass against the package as published (dist/, built once per run by
// test/support/built-package.ts, shared with test/package/built-entries.test.ts), not src/: every
// write mode × operation on every destination, through the built entries' `sync` and `op`.
const lib = await builtLibrary()
forEachDestination('write modes', (c) => describeWriteModes(c), { lib })

describe('the built-package pass', () => {
  it('runs the built entries, not the sources', async () => {
    const [built, sources] = [await lib.core(), await SRC.core()]
    expect(built.sync).not.toBe(sources.sync)
    expect(built.op).not.toBe(sources.op)
  })
})

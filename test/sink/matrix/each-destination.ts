import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe } from 'vitest'
import type { Sink } from '../../../src/index.js'
import { describeWithService, pgUnavailable, schemas } from '../../source/postgres/pg-service.js'
import { selectedDestinations, SRC, type Destination, type Library } from '../destinations.js'

/** A fresh, empty destination for one test. */
export type SinkFactory = () => Sink | Promise<Sink>

/** What a suite body gets for one destination. */
export interface DestinationCase {
  readonly destination: Destination
  /** A fresh, empty instance (a new file, directory or schema each call). */
  readonly make: () => Promise<Sink>
  /** A fresh location for `destination.open(lib, at)` (a path or a schema), for tests that reopen one. */
  readonly location: () => string
  readonly lib: Library
}

const needsPostgres = selectedDestinations().some((d) => d.service === 'PostgreSQL')
const postgresDown = needsPostgres ? await pgUnavailable() : undefined

/**
 * Runs `body` once per selected destination (SLUICE_DESTINATIONS), inside a `describe` named after
 * it, with fresh instances under a temp directory or in fresh Postgres schemas that are removed
 * after the file. A destination whose service is down fails under CI=true and is skipped elsewhere,
 * as every service test decides (test/source/postgres/pg-service.ts).
 */
export function forEachDestination(title: string, body: (c: DestinationCase) => void, options: { lib?: Library; only?: (d: Destination) => boolean } = {}): void {
  const lib = options.lib ?? SRC
  for (const destination of selectedDestinations().filter(options.only ?? (() => true))) {
    const name = `${title} [${destination.name}${lib === SRC ? '' : ` from ${lib.label}`}]`
    const inside = () => {
      let location: () => string
      if (destination.place === 'pg-schema') {
        const fresh = schemas(`sluice_m_${destination.name.replace(/\W/g, '_')}`)
        location = () => fresh.next()
      } else {
        const dir = mkdtempSync(join(tmpdir(), `sluice-matrix-${destination.name}-`))
        afterAll(() => rmSync(dir, { recursive: true, force: true }))
        let n = 0
        location = () => join(dir, `d${n++}`)
      }
      body({ destination, lib, location, make: () => destination.open(lib, location()) })
    }
    if (destination.service === 'PostgreSQL') describeWithService(name, 'PostgreSQL', postgresDown, inside)
    else describe(name, inside)
  }
}

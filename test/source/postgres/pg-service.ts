import pg from 'pg'
import { afterAll, describe, it } from 'vitest'

/** The local test database (trust auth); override with SLUICE_PG_URL. */
export const PG_URL = process.env.SLUICE_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

/** `undefined` when Postgres answers, else why not. */
export async function pgUnavailable(url = PG_URL): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 })
  try {
    await client.connect()
    await client.query('SELECT 1')
    return undefined
  } catch (e) {
    return (e as Error).message
  } finally {
    await client.end().catch(() => {})
  }
}

/**
 * `describe` that needs a service: runs when it is up; otherwise fails under CI=true (a missing
 * service must not pass CI silently) and skips with the reason elsewhere.
 */
export function describeWithService(name: string, service: string, unavailable: string | undefined, body: () => void): void {
  if (unavailable === undefined) {
    describe(name, body)
    return
  }
  if (process.env.CI === 'true') {
    describe(name, () => {
      it(`needs ${service}`, () => {
        throw new Error(`${service} is not reachable (${unavailable}); CI=true requires it`)
      })
    })
    return
  }
  console.warn(`skipping "${name}": ${service} is not reachable (${unavailable})`)
  describe.skip(`${name} (skipped: ${service} not reachable)`, body)
}

let counter = 0

/**
 * Fresh schema names for one test file (`prefix_<pid>_<n>`), all dropped after the file: parallel
 * test files and repeated runs never share a schema.
 */
export function schemas(prefix: string): { next(): string; pool: pg.Pool } {
  const made: string[] = []
  const pool = new pg.Pool({ connectionString: PG_URL, max: 4 })
  pool.on('error', () => {})
  afterAll(async () => {
    try {
      for (const s of made) await pool.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`)
    } finally {
      await pool.end()
    }
  })
  return {
    pool,
    next() {
      const name = `${prefix}_${process.pid}_${++counter}`
      made.push(name)
      return name
    },
  }
}

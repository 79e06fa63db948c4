/**
 * Watches, while a CDC sync runs, that the server is never told more than the destination
 * committed: it samples the slot's `confirmed_flush_lsn` (pg) and then the position in the state
 * the SQLite destination committed (better-sqlite3, read-only, WAL lets it read beside the
 * writer). The committed position only grows, so a confirmed position past a committed one read
 * after it is an acknowledgement sent before its commit — harmful when it covers a transaction
 * (`skippedCommits`): a kill in that window would lose its changes for good (the slot no longer
 * sends them). Used by the SIGKILL proof.
 */
import Database from 'better-sqlite3'
import { existsSync } from 'node:fs'
import pg from 'pg'

/** `0/16B3748` → a comparable number. */
export function lsnValue(text: string | undefined): bigint {
  if (!text || !text.includes('/')) return 0n
  const [hi, lo] = text.split('/') as [string, string]
  return (BigInt(`0x${hi}`) << 32n) | BigInt(`0x${lo}`)
}

/** A sample where the slot was confirmed past what the destination had committed. */
export interface AheadSample {
  readonly confirmed: string
  readonly committed: string
}

/** What a watch saw. */
export interface AckWatch {
  samples: number
  /** Distinct (confirmed, committed) pairs with confirmed ahead. */
  ahead: AheadSample[]
}

/**
 * Samples every `everyMs` until `stop()`: slot `slot` on `url`, then the `connectorId` state in
 * the SQLite file at `path` (`{ cdc: { lsn | consistentPoint } }`).
 */
export function watchAcknowledgements(url: string, slot: string, path: string, connectorId: string, everyMs = 2): { stop(): Promise<AckWatch> } {
  let stopping = false
  const seen: AckWatch = { samples: 0, ahead: [] }
  const running = (async () => {
    const client = new pg.Client({ connectionString: url })
    await client.connect()
    let db: Database.Database | undefined
    try {
      while (!stopping) {
        const confirmed = (await client.query(`SELECT confirmed_flush_lsn::text AS c FROM pg_replication_slots WHERE slot_name = $1`, [slot])).rows[0]?.c as string | undefined
        if (!db && existsSync(path)) db = new Database(path, { readonly: true, fileMustExist: true })
        let committed: string | undefined
        try {
          const text = db?.prepare(`SELECT "state" FROM "_sluice_state" WHERE "connector_id" = ?`).pluck().get(connectorId) as string | undefined
          const cdc = text ? (JSON.parse(text) as { cdc?: { lsn?: string; consistentPoint?: string } }).cdc : undefined
          committed = cdc?.lsn ?? cdc?.consistentPoint
        } catch {
          // No state table yet: the first sync hasn't committed anything.
        }
        if (confirmed && committed) {
          seen.samples++
          const known = seen.ahead.some((a) => a.confirmed === confirmed && a.committed === committed)
          if (lsnValue(confirmed) > lsnValue(committed) && !known) seen.ahead.push({ confirmed, committed })
        }
        await new Promise((resolve) => setTimeout(resolve, everyMs))
      }
    } finally {
      db?.close()
      await client.end()
    }
  })()
  return {
    async stop() {
      stopping = true
      await running
      return seen
    },
  }
}

/**
 * Of the samples where the slot was confirmed ahead of the destination, those that skipped a
 * transaction: a commit after the committed position and up to the confirmed one (read from
 * `shadow`, a test_decoding slot created before any write and never consumed). Being ahead over
 * WAL without commits (a keepalive position confirmed when nothing was pending) loses nothing.
 */
export async function skippedCommits(url: string, shadow: string, ahead: readonly AheadSample[]): Promise<string[]> {
  if (ahead.length === 0) return []
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    const from = ahead.map((a) => lsnValue(a.committed)).reduce((a, b) => (a < b ? a : b))
    const commits = (await client.query(`SELECT lsn::text AS lsn FROM pg_logical_slot_peek_changes($1, NULL, NULL) WHERE data LIKE 'COMMIT%'`, [shadow])).rows
      .map((r) => lsnValue(r.lsn as string))
      .filter((lsn) => lsn > from)
    return ahead.flatMap((a) => {
      const skipped = commits.filter((lsn) => lsn > lsnValue(a.committed) && lsn <= lsnValue(a.confirmed))
      return skipped.length ? [`slot confirmed ${a.confirmed} while the destination had committed ${a.committed}: ${skipped.length} commit(s) between`] : []
    })
  } finally {
    await client.end()
  }
}

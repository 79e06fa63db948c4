/**
 * Watches, while a CDC sync runs, that the server is never told more than the destination
 * committed: it samples the slot's `confirmed_flush_lsn` (pg) and then the position in the state
 * the SQLite destination committed (better-sqlite3, read-only, WAL lets it read beside the
 * writer). The committed position only grows, so a confirmed position past a committed one read
 * after it is an acknowledgement sent before its commit. Used by the SIGKILL proof, where a kill
 * in that window would lose changes for good (the slot no longer has them).
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

/** What a watch saw. */
export interface AckWatch {
  samples: number
  violations: string[]
}

/**
 * Samples every `everyMs` until `stop()`: slot `slot` on `url`, then the `connectorId` state in
 * the SQLite file at `path` (`{ cdc: { lsn | consistentPoint } }`).
 */
export function watchAcknowledgements(url: string, slot: string, path: string, connectorId: string, everyMs = 2): { stop(): Promise<AckWatch> } {
  let stopping = false
  const seen: AckWatch = { samples: 0, violations: [] }
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
          if (lsnValue(confirmed) > lsnValue(committed) && seen.violations.length < 5) seen.violations.push(`slot confirmed ${confirmed} while the destination had committed ${committed}`)
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

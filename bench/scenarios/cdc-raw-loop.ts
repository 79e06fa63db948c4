/**
 * The `cdc` bench's hand-written limit: a logical replication loop as a user would write it with
 * `pg` and `pg-copy-streams` alone. START_REPLICATION over a replication connection (copy-both),
 * a minimal pgoutput (protocol 1) decode of the one bench table's text columns, prepared
 * better-sqlite3 upserts and soft deletes, one SQLite transaction per source transaction, and a
 * standby status update (flush LSN) after each commit. Stops at the first commit at or past
 * `until` (the server's position when the run started): a bounded read like `sync()`'s.
 */
import type Database from 'better-sqlite3'
import type { Duplex } from 'node:stream'
import pg from 'pg'
import * as copyStreams from 'pg-copy-streams'

/** `pg-copy-streams`' copy-both duplex (its type declarations lack it). */
const both = (copyStreams as unknown as { both(text: string, options: object): Duplex & pg.Submittable }).both

/** `0/16B3748` → bigint. */
export const lsnToBig = (lsn: string): bigint => {
  const [hi, lo] = lsn.split('/') as [string, string]
  return (BigInt(`0x${hi}`) << 32n) | BigInt(`0x${lo}`)
}

const PG_EPOCH_MICROS = 946_684_800_000_000n

/** The 'r' standby status update: written, flushed and applied up to `lsn`. */
function standbyStatus(lsn: bigint): Buffer {
  const b = Buffer.alloc(34)
  b[0] = 0x72 // 'r'
  b.writeBigUInt64BE(lsn, 1)
  b.writeBigUInt64BE(lsn, 9)
  b.writeBigUInt64BE(lsn, 17)
  b.writeBigInt64BE(BigInt(Date.now()) * 1000n - PG_EPOCH_MICROS, 25)
  b[33] = 0
  return b
}

/** The bench table's columns as the raw loop writes them into SQLite. */
export const RAW_DDL = 'CREATE TABLE IF NOT EXISTS changes (id INTEGER PRIMARY KEY, updated_at TEXT, email TEXT, name TEXT, amount REAL, active INTEGER, tags TEXT, _deleted INTEGER NOT NULL DEFAULT 0)'

/**
 * Streams `slot` (publication `publication`) into the SQLite `db` until the commit that reaches
 * `until`; resolves to the number of row changes applied.
 */
export async function rawReplicationLoop(url: string, slot: string, publication: string, db: Database.Database, until: bigint): Promise<number> {
  db.exec(RAW_DDL)
  const upsert = db.prepare(
    `INSERT INTO changes VALUES (?, ?, ?, ?, ?, ?, ?, 0) ON CONFLICT (id) DO UPDATE SET updated_at = excluded.updated_at, email = excluded.email,
     name = excluded.name, amount = excluded.amount, active = excluded.active, tags = excluded.tags, _deleted = 0`,
  )
  const remove = db.prepare('UPDATE changes SET _deleted = 1 WHERE id = ?')
  const begin = db.prepare('BEGIN')
  const commit = db.prepare('COMMIT')

  const client = new pg.Client({ connectionString: url, replication: 'database' } as pg.ClientConfig)
  await client.connect()
  let changes = 0
  try {
    const stream: Duplex = client.query(both(`START_REPLICATION SLOT ${slot} LOGICAL 0/0 (proto_version '1', publication_names '${publication}')`, { alignOnCopyDataFrame: true }))
    let inTx = false
    // The table's text columns in relation order: [id, updated_at, email, name, amount, active, tags].
    const values: (string | null)[] = new Array(7).fill(null)
    /** Reads one TupleData at `at` into `values`; returns the offset after it. */
    const tuple = (m: Buffer, at: number): number => {
      const n = m.readUInt16BE(at)
      at += 2
      for (let i = 0; i < n; i++) {
        const kind = m[at++]
        if (kind === 0x74) { // 't' text
          const len = m.readUInt32BE(at)
          values[i] = m.toString('utf8', at + 4, at + 4 + len)
          at += 4 + len
        } else values[i] = null // 'n' null, 'u' unchanged TOAST (the bench has none)
      }
      return at
    }
    const write = (): void => {
      const [id, updatedAt, email, name, amount, active, tags] = values
      upsert.run(Number(id), updatedAt, email, name, amount === null ? null : Number(amount), active === 't' ? 1 : 0, tags)
    }
    await new Promise<void>((resolve, reject) => {
      let done = false
      const finish = (error?: Error) => {
        if (done) return
        done = true
        if (error) reject(error)
        else resolve()
      }
      stream.on('error', finish)
      stream.on('data', (chunk: Buffer) => {
        if (done) return
        if (chunk[0] === 0x6b) { // 'k' keepalive: walEnd, time, reply requested
          const walEnd = chunk.readBigUInt64BE(1)
          if (!inTx && walEnd >= until) {
            stream.write(standbyStatus(walEnd))
            finish()
          } else if (chunk[17] === 1) stream.write(standbyStatus(0n))
          return
        }
        if (chunk[0] !== 0x77) return // 'w' XLogData: 1 + 8 start + 8 end + 8 time, then pgoutput
        const m = chunk
        const at = 25
        switch (m[at]) {
          case 0x42: // 'B' begin
            begin.run()
            inTx = true
            break
          case 0x49: // 'I' insert: oid, 'N', tuple
            tuple(m, at + 6)
            write()
            changes++
            break
          case 0x55: { // 'U' update: oid, ['K'|'O' tuple], 'N' tuple
            let p = at + 5
            if (m[p] === 0x4b || m[p] === 0x4f) p = tuple(m, p + 1)
            tuple(m, p + 1)
            write()
            changes++
            break
          }
          case 0x44: // 'D' delete: oid, 'K'|'O', tuple (key first)
            tuple(m, at + 6)
            remove.run(Number(values[0]))
            changes++
            break
          case 0x43: { // 'C' commit: flags, commit LSN, end LSN, time
            commit.run()
            inTx = false
            const end = m.readBigUInt64BE(at + 10)
            stream.write(standbyStatus(end)) // acknowledged per transaction, once committed here
            if (end >= until) finish()
            break
          }
          default: // 'R' relation, 'Y' type, 'O' origin, 'T' truncate: the bench sends none that matter
        }
      })
    })
    stream.end()
  } finally {
    if (db.inTransaction) db.exec('ROLLBACK')
    await client.end().catch(() => {})
  }
  return changes
}

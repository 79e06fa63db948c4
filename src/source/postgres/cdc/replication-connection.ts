import type pg from 'pg'
import type { Duplex } from 'node:stream'
import * as copyStreams from 'pg-copy-streams'
import type { PostgresConnection } from '../../../db/postgres-connection.js'
import { formatLsn, parseLsn } from './lsn.js'
import { openSessionClient } from './session-client.js'

/** `pg-copy-streams`' copy-both duplex (its type declarations lack it). */
const both = (copyStreams as unknown as { both(text: string, options: object): Duplex & pg.Submittable }).both

/** One frame of the copy-both stream: WAL data (one pgoutput message) or a primary keepalive. */
export type ReplicationFrame =
  | { readonly kind: 'data'; readonly walEnd: bigint; readonly payload: Buffer }
  | { readonly kind: 'keepalive'; readonly walEnd: bigint; readonly replyRequested: boolean }

/** A started `START_REPLICATION`: frames in, standby status updates out. */
export interface ReplicationStream {
  /** The next frame, or undefined when the server ended the stream. Backpressure: the socket is read only as frames are taken. */
  next(): Promise<ReplicationFrame | undefined>
  /** A frame already received, without waiting: null when none is buffered yet (undefined once the stream ended). */
  poll(): ReplicationFrame | undefined | null
  /** Sends a standby status update: everything before `lsn` is written, flushed and applied. */
  ack(lsn: bigint, replyRequested: boolean): void
}

/** Microseconds from the Unix epoch to 2000-01-01, the protocol's epoch. */
const EPOCH_2000_US = 946_684_800_000_000n

/** A replication-mode (`replication=database`) connection to the source. */
export class ReplicationConnection {
  readonly #client: pg.Client
  #copy: Duplex | undefined
  #heartbeat: NodeJS.Timeout | undefined

  private constructor(client: pg.Client) {
    this.#client = client
  }

  /** Opens it with the settings the text decoders rely on; fails as `SOURCE_FAILED` naming the target, never the password. */
  static async open(connection: PostgresConnection, target: string): Promise<ReplicationConnection> {
    return new ReplicationConnection(await openSessionClient(connection, target, true))
  }

  /**
   * `CREATE_REPLICATION_SLOT … LOGICAL pgoutput (SNAPSHOT 'export')`: the slot, its consistent
   * point, and a snapshot other sessions import while this connection stays idle.
   */
  async createSlot(slot: string): Promise<{ consistentPoint: bigint; snapshot: string }> {
    const r = await this.#client.query(`CREATE_REPLICATION_SLOT "${slot}" LOGICAL pgoutput (SNAPSHOT 'export')`)
    const row = r.rows[0] as { consistent_point: string; snapshot_name: string }
    return { consistentPoint: parseLsn(row.consistent_point), snapshot: row.snapshot_name }
  }

  /** `START_REPLICATION SLOT … LOGICAL <from> (proto_version '1', publication_names '…')`. */
  start(slot: string, publication: string, from: bigint): ReplicationStream {
    const text = `START_REPLICATION SLOT "${slot}" LOGICAL ${formatLsn(from)} (proto_version '1', publication_names '"${publication}"')`
    // Object mode: one pushed chunk is one CopyData frame (byte mode would concatenate frames on read).
    const copy = this.#client.query(both(text, { alignOnCopyDataFrame: true, readableObjectMode: true, readableHighWaterMark: 256 })) as unknown as Duplex
    this.#copy = copy
    let failed: Error | undefined
    let ended = false
    const waiting: (() => void)[] = []
    const wake = () => waiting.splice(0).forEach((w) => w())
    copy.on('readable', wake)
    copy.on('end', () => ((ended = true), wake()))
    copy.on('error', (e: Error) => ((failed = e), wake()))
    let acked = from
    const send = (lsn: bigint, replyRequested: boolean) => {
      if (lsn > acked) acked = lsn
      const b = Buffer.alloc(34)
      b[0] = 0x72 // 'r'
      b.writeBigUInt64BE(acked, 1)
      b.writeBigUInt64BE(acked, 9)
      b.writeBigUInt64BE(acked, 17)
      b.writeBigUInt64BE(BigInt(Date.now()) * 1000n - EPOCH_2000_US, 25)
      b[33] = replyRequested ? 1 : 0
      if (!copy.destroyed && !copy.writableEnded && !failed && !ended) copy.write(b)
    }
    // While the destination holds the reader up (a long write), the server hears from us anyway:
    // without a status update within wal_sender_timeout (default 60 s) it would end the stream.
    // One a second: 34 bytes, and it covers a timeout set as low as 2 s.
    this.#heartbeat = setInterval(() => send(acked, false), 1_000)
    this.#heartbeat.unref()
    const poll = (): ReplicationFrame | undefined | null => {
      if (failed) throw failed
      const chunk = copy.read() as Buffer | null
      if (chunk !== null) return frame(chunk)
      return ended ? undefined : null
    }
    return {
      poll,
      next: async () => {
        for (;;) {
          const got = poll()
          if (got !== null) return got
          await new Promise<void>((resolve) => waiting.push(resolve))
        }
      },
      ack: (lsn, replyRequested) => send(lsn, replyRequested),
    }
  }

  /** Ends the stream (CopyDone) and the connection; never throws. */
  async close(): Promise<void> {
    clearInterval(this.#heartbeat)
    const copy = this.#copy
    if (copy && !copy.destroyed) {
      copy.on('error', () => {})
      copy.resume()
      const done = new Promise<void>((resolve) => {
        copy.once('finish', resolve)
        copy.once('close', resolve)
        copy.once('error', () => resolve())
        setTimeout(resolve, 2000).unref()
      })
      try {
        copy.end()
      } catch {
        // already failed
      }
      await done
    }
    await this.#client.end().catch(() => {})
  }
}

function frame(chunk: Buffer): ReplicationFrame {
  if (chunk[0] === 0x77 /* w */) return { kind: 'data', walEnd: chunk.readBigUInt64BE(9), payload: chunk.subarray(25) }
  return { kind: 'keepalive', walEnd: chunk.readBigUInt64BE(1), replyRequested: chunk[17] === 1 }
}


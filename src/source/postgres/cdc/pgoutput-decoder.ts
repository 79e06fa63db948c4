/** A column of a relation message: name, type, and whether it is part of the replica identity. */
export interface RelationColumn {
  readonly name: string
  readonly typeOid: number
  readonly typmod: number
  readonly key: boolean
}

/** Table structure as pgoutput sends it before the first change of a table (and after every change to it). */
export interface RelationMessage {
  readonly tag: 'relation'
  readonly relid: number
  readonly schema: string
  readonly table: string
  /** `d` default (primary key), `f` full, `i` index, `n` nothing. */
  readonly replicaIdentity: string
  readonly columns: readonly RelationColumn[]
}

/**
 * One tuple's values as Postgres's text output, by relation column: `null` for SQL NULL,
 * `undefined` for an unchanged TOASTed value the WAL did not carry.
 */
export type TupleValues = (string | null | undefined)[]

/** The decoded pgoutput (protocol version 1) messages sluice reads. */
export type PgOutputMessage =
  | { readonly tag: 'begin'; readonly finalLsn: bigint; readonly xid: number }
  | { readonly tag: 'commit'; readonly commitLsn: bigint; readonly endLsn: bigint }
  | RelationMessage
  | { readonly tag: 'insert'; readonly relid: number; readonly row: TupleValues }
  | { readonly tag: 'update'; readonly relid: number; readonly old: TupleValues | undefined; readonly row: TupleValues }
  | { readonly tag: 'delete'; readonly relid: number; readonly old: TupleValues }
  | { readonly tag: 'truncate'; readonly relids: readonly number[] }
  | { readonly tag: 'other'; readonly type: string }

const utf8 = new TextDecoder('utf-8', { fatal: false })

/**
 * Decodes one pgoutput message (the payload of an XLogData frame). Values stay Postgres's text
 * output — in the session's DateStyle/TimeZone/extra_float_digits/bytea_output — so sluice's own
 * type map decodes them exactly as the keyset reader decodes the same text.
 */
export function decodePgOutput(buf: Buffer): PgOutputMessage {
  let at = 1
  const u8 = () => buf[at++]!
  const i16 = () => ((at += 2), buf.readInt16BE(at - 2))
  const i32 = () => ((at += 4), buf.readInt32BE(at - 4))
  const u32 = () => ((at += 4), buf.readUInt32BE(at - 4))
  const u64 = () => ((at += 8), buf.readBigUInt64BE(at - 8))
  const str = () => {
    const end = buf.indexOf(0, at)
    const s = utf8.decode(buf.subarray(at, end))
    at = end + 1
    return s
  }
  const tuple = (): TupleValues => {
    const n = i16()
    const values: TupleValues = new Array(n)
    for (let i = 0; i < n; i++) {
      const kind = u8()
      if (kind === 0x6e /* n */) values[i] = null
      else if (kind === 0x75 /* u */) values[i] = undefined
      else {
        const len = i32()
        values[i] = buf.toString('utf8', at, at + len)
        at += len
      }
    }
    return values
  }
  const type = String.fromCharCode(buf[0]!)
  switch (type) {
    case 'B': {
      const finalLsn = u64()
      u64() // commit timestamp
      return { tag: 'begin', finalLsn, xid: u32() }
    }
    case 'C': {
      u8() // flags
      const commitLsn = u64()
      return { tag: 'commit', commitLsn, endLsn: u64() }
    }
    case 'R': {
      const relid = u32()
      const schema = str()
      const table = str()
      const replicaIdentity = String.fromCharCode(u8())
      const n = i16()
      const columns: RelationColumn[] = []
      for (let i = 0; i < n; i++) {
        const flags = u8()
        const name = str()
        columns.push({ name, typeOid: u32(), typmod: i32(), key: (flags & 1) === 1 })
      }
      return { tag: 'relation', relid, schema, table, replicaIdentity, columns }
    }
    case 'I': {
      const relid = u32()
      u8() // 'N'
      return { tag: 'insert', relid, row: tuple() }
    }
    case 'U': {
      const relid = u32()
      let kind = u8()
      let old: TupleValues | undefined
      if (kind === 0x4b /* K */ || kind === 0x4f /* O */) {
        old = tuple()
        kind = u8()
      }
      return { tag: 'update', relid, old, row: tuple() }
    }
    case 'D': {
      const relid = u32()
      u8() // 'K' or 'O'
      return { tag: 'delete', relid, old: tuple() }
    }
    case 'T': {
      const n = u32()
      u8() // options (CASCADE, RESTART IDENTITY)
      const relids: number[] = []
      for (let i = 0; i < n; i++) relids.push(u32())
      return { tag: 'truncate', relids }
    }
    default:
      return { tag: 'other', type }
  }
}

import { SluiceError } from '../../../core/sluice-error.js'

/** `16/B374D848` → 0x16B374D848n: a WAL position as a 64-bit number. */
export function parseLsn(text: string): bigint {
  const m = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(text)
  if (!m) throw new SluiceError({ code: 'STATE_INVALID', message: `postgres replication: ${JSON.stringify(text)} is not an LSN (like "0/16B3748"); reset the connector to start over` })
  return (BigInt(`0x${m[1]}`) << 32n) | BigInt(`0x${m[2]}`)
}

/** 0x16B374D848n → `16/B374D848`, as Postgres prints it. */
export function formatLsn(lsn: bigint): string {
  return `${(lsn >> 32n).toString(16).toUpperCase()}/${(lsn & 0xffffffffn).toString(16).toUpperCase()}`
}

import { closeSync, existsSync, mkdirSync, openSync, readSync, renameSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { orderPages, type Order } from './generate-orders.js'

export type { Order }

/** Bump when `generate-orders.ts` changes, so a cached file of the old rows is not reused. */
const VERSION = 1
const PAGE_ROWS = 1_000

/**
 * The bench input as NDJSON pages of 1,000 rows in the OS temp dir, written once and reused.
 * Each child parses it instead of generating the rows: 3–5× faster on a 1M-row run with ~30
 * children, and the rows then have the shape an API response has once `JSON.parse`d (fresh
 * objects, flat strings), which is what a sync really gets.
 */
export function ordersFile(rows: number): string {
  const dir = join(tmpdir(), 'sluice-bench')
  const path = join(dir, `orders-v${VERSION}-${rows}.ndjson`)
  if (existsSync(path)) return path
  mkdirSync(dir, { recursive: true })
  const partial = `${path}.${process.pid}.tmp`
  const fd = openSync(partial, 'w')
  try {
    for (const page of orderPages(rows, PAGE_ROWS)) writeSync(fd, `${JSON.stringify(page)}\n`)
  } finally {
    closeSync(fd)
  }
  renameSync(partial, path) // atomic: a concurrent or interrupted run never reads half a file
  return path
}

/**
 * All rows of the file, read in 1 MB chunks and parsed page by page: reading the whole file into
 * one string first would add its 176 MB to the child's peak RSS, which the table reports.
 */
export function loadOrders(rows: number): Order[] {
  const path = ordersFile(rows)
  const out: Order[] = []
  const chunk = Buffer.allocUnsafe(1 << 20)
  const fd = openSync(path, 'r')
  try {
    let carry = ''
    for (let n; (n = readSync(fd, chunk, 0, chunk.length, null)) > 0; ) {
      const text = carry + chunk.toString('latin1', 0, n) // the file is ASCII: latin1 skips UTF-8 decoding
      let at = 0
      for (let end; (end = text.indexOf('\n', at)) !== -1; at = end + 1) {
        for (const row of JSON.parse(text.slice(at, end)) as Order[]) out.push(row)
      }
      carry = text.slice(at)
    }
  } finally {
    closeSync(fd)
  }
  if (out.length !== rows) throw new Error(`${path} holds ${out.length} rows, expected ${rows}`)
  return out
}

/**
 * The 7-column "orders" shape of LIMITS.md, generated deterministically (seeded PRNG) so every
 * child process and every run sees the same rows: int id, ISO timestamp (24 chars), email (19),
 * name (~12), double amount, boolean active, JSON text tags (~30).
 */

export interface Order {
  id: number
  updated_at: string
  email: string
  name: string
  amount: number
  active: boolean
  tags: string
}

export const ORDER_COLUMNS = 7

const FIRST = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Margaret', 'Ken', 'Dennis', 'Frances']
const LAST = ['Lovelace', 'Hopper', 'Turing', 'Dijkstra', 'Liskov', 'Knuth', 'Hamilton', 'Thompson', 'Ritchie', 'Allen']
const TAGS = ['priority', 'wholesale', 'retail', 'eu', 'us', 'returning', 'gift', 'express']
const START_MS = Date.UTC(2026, 0, 1)

/** mulberry32: tiny, fast and good enough for bench data; fixed seed means fixed rows. */
function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** `n` orders with ids 1…n, in pages of `pageSize` rows (one PRNG stream across pages). */
export function* orderPages(n: number, pageSize: number, seed = 20261122): Generator<Order[]> {
  const rand = prng(seed)
  for (let start = 0; start < n; start += pageSize) {
    const page: Order[] = []
    for (let i = start; i < Math.min(n, start + pageSize); i++) {
      const id = i + 1
      const tagCount = 2 + Math.floor(rand() * 2)
      const tags: string[] = []
      for (let t = 0; t < tagCount; t++) tags.push(TAGS[Math.floor(rand() * TAGS.length)]!)
      page.push({
        id,
        updated_at: new Date(START_MS + i * 1000 + Math.floor(rand() * 1000)).toISOString(),
        // join, not template literals: joined strings are flat, as JSON.parse or a database
        // driver hands them over; a concatenation would be a rope that its first reader flattens.
        email: ['user', String(id % 10_000_000).padStart(7, '0'), '@mail.io'].join(''),
        name: [FIRST[Math.floor(rand() * FIRST.length)], ' ', LAST[Math.floor(rand() * LAST.length)]].join(''),
        amount: Math.round(rand() * 1_000_000) / 100,
        active: rand() < 0.7,
        tags: JSON.stringify(tags),
      })
    }
    yield page
  }
}

/** `n` orders with ids 1…n, generated in memory (`loadOrders` in `orders-file.ts` is the faster, cached way). */
export function generateOrders(n: number, seed = 20261122): Order[] {
  const rows: Order[] = []
  for (const page of orderPages(n, 10_000, seed)) for (const row of page) rows.push(row)
  return rows
}

/** Consecutive slices of `size` rows (the last may be shorter). */
export function chunks<T>(rows: readonly T[], size: number): T[][] {
  const out: T[][] = []
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size))
  return out
}

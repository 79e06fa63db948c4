/** One row of the demo API. Deleted rows stay as tombstones so the change feed can report them. */
export interface DemoRow {
  readonly id: number
  readonly updated_at: string
  readonly deleted?: true
  readonly [column: string]: unknown
}

/** A small seeded PRNG (mulberry32): the same seed gives the same data set on every machine. */
export function random(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const BASE = Date.UTC(2024, 0, 1)
const FIRST = ['Ada', 'Alan', 'Grace', 'Edsger', 'Barbara', 'Donald', 'Frances', 'Ken', 'Radia', 'Tim']
const LAST = ['Lovelace', 'Turing', 'Hopper', 'Dijkstra', 'Liskov', 'Knuth', 'Allen', 'Thompson', 'Perlman', 'Berners-Lee']
const COUNTRIES = ['DE', 'FR', 'GB', 'US', 'NL', 'ES', 'IT', 'SE', 'PL', 'JP']
const STATUSES = ['pending', 'paid', 'shipped', 'delivered']
const CURRENCIES = ['EUR', 'USD', 'GBP']

/** Milliseconds since the epoch as an ISO-8601 UTC timestamp, as the API sends them. */
export const iso = (ms: number): string => new Date(ms).toISOString()

/** Customer `id` of the first generation. */
export function customer(id: number, rand: () => number): DemoRow {
  const created = BASE + id * 1_800_000 // one every 30 min
  const first = FIRST[id % FIRST.length]!
  const last = LAST[Math.floor(id / FIRST.length) % LAST.length]!
  return {
    id,
    name: `${first} ${last}`,
    email: `${first.toLowerCase()}.${last.toLowerCase()}.${id}@example.com`,
    country: COUNTRIES[Math.floor(rand() * COUNTRIES.length)]!,
    created_at: iso(created),
    updated_at: iso(created + Math.floor(rand() * 86_400) * 1000),
  }
}

/** Order `id` of the first generation (customers are `1..customers`). */
export function order(id: number, customers: number, rand: () => number, createdAt = BASE + id * 60_000): DemoRow {
  const lines = 1 + Math.floor(rand() * 3)
  const items = Array.from({ length: lines }, (_, i) => ({
    sku: `SKU-${1000 + Math.floor(rand() * 500)}`,
    quantity: 1 + Math.floor(rand() * 4),
    price: Math.round(rand() * 10_000) / 100,
    line: i + 1,
  }))
  const amount = items.reduce((sum, item) => sum + Math.round(item.price * 100) * item.quantity, 0) / 100
  return {
    id,
    customer_id: 1 + Math.floor(rand() * customers),
    status: STATUSES[Math.floor(rand() * STATUSES.length)]!,
    currency: CURRENCIES[Math.floor(rand() * CURRENCIES.length)]!,
    amount,
    items,
    created_at: iso(createdAt),
    updated_at: iso(createdAt + Math.floor(rand() * 3_600) * 1000),
  }
}

/** The moment generation `generation` (2, 3, …) happens: well after every first-generation row. */
export function generationTime(generation: number): number {
  return BASE + 800 * 86_400_000 + generation * 86_400_000
}

/** `count` distinct ids out of `1..max` not in `skip`, chosen by `rand` (fewer when not enough are left). */
export function pickIds(count: number, max: number, rand: () => number, skip: ReadonlySet<number>): number[] {
  const picked = new Set<number>()
  const limit = Math.min(count, max - skip.size)
  while (picked.size < limit) {
    const id = 1 + Math.floor(rand() * max)
    if (!skip.has(id)) picked.add(id)
  }
  return [...picked].sort((a, b) => a - b)
}

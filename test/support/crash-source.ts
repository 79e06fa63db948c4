// Direct module imports rather than the barrel: the child is spawned ~60 times and the barrel also loads Arrow.
import type { Row } from '../../src/core/batch.js'
import { connector } from '../../src/source/connector.js'
import { op } from '../../src/source/op.js'
import type { Source } from '../../src/contracts/source.js'

/**
 * The deterministic source of the SIGKILL proof (test/sink/matrix/crash.test.ts): page `p`
 * is a pure function of `p`, so a resumed sync re-reads exactly what a killed one read, and the
 * test computes the expected destination in-process from the same pages.
 *
 * Each page writes, in this order: `PAGE_ROWS` upserts of `accounts` (new ids plus re-writes
 * of earlier ids, which also undo earlier deletes), partial `update`s of earlier ids, soft
 * `delete`s of earlier ids, `PAGE_ROWS` rows appended to `events` (a unique `seq` per row, so a
 * replayed page shows up as a duplicate), then a checkpoint `{ page: p + 1 }`.
 */
export const PAGES = 200
/** Rows per table per page (upserts of `accounts`, appends to `events`). */
export const PAGE_ROWS = 1_000
/** New account ids per page; the rest of a page's upserts re-write earlier ids. */
const NEW_IDS = 900
const UPDATES = 30
const DELETES = 15

export interface CrashPage {
  readonly upserts: Row[]
  readonly updates: Row[]
  readonly deletes: Row[]
  readonly events: Row[]
}

export const ACCOUNTS = { id: 'LONG', name: 'STRING', balance: 'DOUBLE', status: 'STRING', version: 'INT' } as const
export const EVENTS = { seq: 'LONG', account_id: 'LONG', kind: 'STRING', amount: 'DOUBLE' } as const
const KINDS = ['open', 'deposit', 'withdraw', 'fee', null] as const
const STATUSES = ['active', 'frozen', 'closed', null] as const

/** mulberry32: a small seeded PRNG, floats in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Up to `count` distinct ids in [1, max] that pass `keep`, drawn with `rand`. */
function draw(rand: () => number, max: number, count: number, keep: (id: number) => boolean): number[] {
  const out = new Set<number>()
  for (let tries = 0; out.size < count && tries < count * 50; tries++) {
    const id = 1 + Math.floor(rand() * max)
    if (keep(id)) out.add(id)
  }
  return [...out]
}

/** Updates never touch ids divisible by 7 and deletes only those, so no update targets a deleted row. */
const deletable = (id: number) => id % 7 === 0

/** Page `p` of the stream (0-based). */
export function crashPage(p: number): CrashPage {
  const rand = prng(Math.imul(p + 1, 0x9e3779b1) ^ 0x5eed)
  // Page 0 has nothing earlier to re-write: it is all new ids, so every page upserts exactly PAGE_ROWS rows.
  const earlier = p === 0 ? 0 : PAGE_ROWS + (p - 1) * NEW_IDS
  const fresh = p === 0 ? PAGE_ROWS : NEW_IDS
  const account = (id: number): Row => ({
    id,
    name: `acct-${id}-p${p}`,
    balance: Math.floor(rand() * 4_000_000) / 4, // quarters: exact in a double
    status: STATUSES[Math.floor(rand() * STATUSES.length)]!,
    version: p,
  })
  const upserts: Row[] = []
  for (let i = 1; i <= fresh; i++) upserts.push(account(earlier + i))
  if (p > 0) for (const id of draw(rand, earlier, PAGE_ROWS - NEW_IDS, () => true)) upserts.push(account(id))
  const updates = p > 0 ? draw(rand, earlier, UPDATES, (id) => !deletable(id)).map((id): Row => ({ id, status: `updated-p${p}` })) : []
  const deletes = p > 1 ? draw(rand, earlier, DELETES, deletable).map((id): Row => ({ id })) : []
  const events: Row[] = []
  for (let j = 0; j < PAGE_ROWS; j++) {
    events.push({
      seq: p * PAGE_ROWS + j,
      account_id: 1 + Math.floor(rand() * (earlier + fresh)),
      kind: KINDS[Math.floor(rand() * KINDS.length)]!,
      amount: Math.floor(rand() * 1_000_000) / 100,
    })
  }
  return { upserts, updates, deletes, events }
}

/** The connector: resumable from `{ page }`, a checkpoint after every page; the first `pages` pages of the stream. */
export function crashSource(pages = PAGES): Source {
  return connector({
    id: 'crash',
    schema: () => [
      { table: 'accounts', primaryKey: ['id'], columns: ACCOUNTS },
      { table: 'events', mode: 'append', columns: EVENTS },
    ],
    async *update(_configuration, state) {
      const from = typeof state.page === 'number' ? state.page : 0
      for (let p = from; p < pages; p++) {
        const page = crashPage(p)
        yield op.upsert('accounts', page.upserts)
        if (page.updates.length > 0) yield op.update('accounts', page.updates)
        if (page.deletes.length > 0) yield op.delete('accounts', page.deletes)
        yield op.upsert('events', page.events)
        yield op.checkpoint({ page: p + 1 })
      }
    },
  })
}

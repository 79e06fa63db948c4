import { crashPage } from './crash-source.js'

/** An accounts row as the crash stream must leave it; each test maps `deleted` to its sink's representation. */
export interface ExpectedAccount {
  id: number
  name: string | null
  balance: number | null
  status: string | null
  version: number | null
  deleted: boolean
}

/**
 * The accounts table after the first `pages` pages, by replaying them in memory with the sink's
 * semantics (upsert whole row and undelete, update `status` only, soft delete). Shared by every
 * crash-resume test so the model of "correct" is written once.
 */
export function expectedAccounts(pages: number): ExpectedAccount[] {
  const rows = new Map<number, ExpectedAccount>()
  for (let p = 0; p < pages; p++) {
    const page = crashPage(p)
    for (const r of page.upserts) rows.set(r.id as number, { ...(r as unknown as Omit<ExpectedAccount, 'deleted'>), deleted: false })
    for (const r of page.updates) {
      const prev = rows.get(r.id as number)
      if (!prev) throw new Error(`crash source updates unknown id ${String(r.id)}`)
      rows.set(prev.id, { ...prev, status: r.status as string, deleted: false })
    }
    for (const r of page.deletes) {
      const prev = rows.get(r.id as number)
      if (prev) rows.set(prev.id, { ...prev, deleted: true })
    }
  }
  return [...rows.values()].sort((a, b) => a.id - b.id)
}

/** Row-by-row comparison that reports the first differences instead of diffing 200k rows. */
export function differences(actual: readonly object[], expected: readonly object[], limit = 5): string[] {
  const out: string[] = []
  if (actual.length !== expected.length) out.push(`row count ${actual.length}, expected ${expected.length}`)
  for (let i = 0; i < Math.min(actual.length, expected.length) && out.length < limit; i++) {
    const a = JSON.stringify(actual[i])
    const e = JSON.stringify(expected[i])
    if (a !== e) out.push(`row ${i}: got ${a}, expected ${e}`)
  }
  return out
}

import type { LeaseArgs, LeaseResult } from '../../contracts/connector-store.js'

/** A lease as kept: who holds it until when (`holder: null` once released, where the store keeps released leases). */
export interface HeldLease {
  readonly holder: string | null
  readonly expiresAt: number
  readonly acquiredAt: number
}

/**
 * The lease rule, decided on the current lease: its holder renews it (keeping `acquiredAt`),
 * anyone takes it once it is free or expired, everyone else is told who holds it until when.
 * Stores that compare and swap (memory, the files lake's version files) apply this; the SQL
 * destinations run the same rule as the WHERE of one upsert (`sql-control.ts`).
 *
 * @example
 * ```ts
 * import { decideLease } from './lease-rule.js'
 * const d = decideLease(undefined, { name: 'connector:shop', holder: 'a', ttlMs: 1000, now: 0 })
 * // d.take: { holder: 'a', expiresAt: 1000, acquiredAt: 0 }
 * ```
 */
export function decideLease(current: HeldLease | undefined, { holder, ttlMs, now }: LeaseArgs): { readonly take: HeldLease } | { readonly refused: LeaseResult & { acquired: false } } {
  if (current?.holder && current.holder !== holder && current.expiresAt > now) return { refused: { acquired: false, holder: current.holder, expiresAt: current.expiresAt } }
  return { take: { holder, expiresAt: now + ttlMs, acquiredAt: current?.holder === holder ? current.acquiredAt : now } }
}

/** True when `holder` may give `current` up (only its own lease). */
export function mayRelease(current: HeldLease | undefined, holder: string): boolean {
  return current?.holder === holder
}

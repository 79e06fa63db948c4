import type { Facts } from './facts.js'

/** What asking for a sync did. */
export type TriggerOutcome = 'started' | 'running' | 'paused' | 'read-only' | 'unknown'

/**
 * Starts a sync of connector `id` in the background unless one runs already — here, or in
 * another process (its lease is held) — or it is paused, or the server only reads it. The check
 * of this process's run and the start happen with no `await` between them, so two requests at
 * once can't both start one.
 *
 * @example
 * ```ts
 * import { triggerSync } from './trigger-sync.js'
 * import type { Facts } from './facts.js'
 * declare const facts: Facts
 * if ((await triggerSync(facts, 'shop')) === 'running') console.log('already syncing')
 * ```
 */
export async function triggerSync(facts: Facts, id: string): Promise<TriggerOutcome> {
  const connector = await facts.connector(id)
  if (!connector) return 'unknown'
  const control = facts.control(id)
  if (!control) return 'read-only'
  if (connector.state === 'syncing') return 'running'
  if (connector.paused) return 'paused'
  if (control.running()) return 'running'
  void control.trigger()
  return 'started'
}

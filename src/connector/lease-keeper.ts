import { randomUUID } from 'node:crypto'
import { hostname } from 'node:os'
import type { Logger } from '../log/logger.js'
import type { Clock } from '../core/clock.js'
import type { ConnectorStore, LeaseResult } from '../contracts/connector-store.js'

/**
 * Holds a connector's lease in its destination while it syncs: acquire before the sync, renew
 * every third of the TTL while it runs, release after. A destination without lease methods
 * gets no cross-process guard (the connector still never overlaps itself in one process).
 */
export class LeaseKeeper {
  readonly name: string
  /** Who we are in `_sluice_leases`: host, pid and a per-connector-instance id (not a secret). */
  readonly holder = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`
  readonly #store: ConnectorStore
  readonly #ttlMs: number
  readonly #clock: Clock
  readonly #logger: Logger

  constructor(options: { store: ConnectorStore; connectorId: string; ttlMs: number; clock: Clock; logger: Logger }) {
    this.name = `connector:${options.connectorId}`
    this.#store = options.store
    this.#ttlMs = options.ttlMs
    this.#clock = options.clock
    this.#logger = options.logger
  }

  /** Takes the lease unless another holder's lease is still valid. */
  async acquire(): Promise<LeaseResult> {
    if (!this.#store.acquireLease) return { acquired: true, expiresAt: Infinity }
    return this.#store.acquireLease({ name: this.name, holder: this.holder, ttlMs: this.#ttlMs, now: this.#clock.now() })
  }

  /**
   * Renews the lease until the returned function is called (which also releases it). `onLost`
   * runs if another holder took it meanwhile (we were stalled past the TTL).
   */
  keep(onLost: (by: string) => void): () => Promise<void> {
    const stop = new AbortController()
    const store = this.#store
    const loop = (async () => {
      if (!store.acquireLease) return
      for (;;) {
        try {
          await this.#clock.sleep(this.#ttlMs / 3, stop.signal)
        } catch {
          return // stopped
        }
        try {
          const r = await store.acquireLease({ name: this.name, holder: this.holder, ttlMs: this.#ttlMs, now: this.#clock.now() })
          if (!r.acquired) return onLost(r.holder)
        } catch (error) {
          this.#logger.warn({ lease: this.name, error }, 'lease renewal failed; retrying')
        }
      }
    })()
    return async () => {
      stop.abort()
      await loop
      try {
        await store.releaseLease?.({ name: this.name, holder: this.holder })
      } catch (error) {
        this.#logger.warn({ lease: this.name, error }, 'lease release failed; it expires by itself')
      }
    }
  }
}

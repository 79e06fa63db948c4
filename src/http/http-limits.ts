import { configInvalid, positiveInteger, positiveMs } from '../core/check-option.js'
import type { TimeoutsMs } from './http-error.js'

/** The limits of an HTTP client after validation. */
export interface HttpLimits {
  readonly timeouts: TimeoutsMs
  /** Bytes. */
  readonly maxResponseBytes: number
}

const DEFAULTS = {
  connectMs: 10_000, // ms
  headersMs: 30_000, // ms
  bodyMs: 30_000, // ms, longest gap between two body chunks
  totalMs: 300_000, // ms, a whole request: a server trickling one byte a second never trips bodyMs
  maxResponseBytes: 64 * 1024 * 1024, // bytes, after decompression
} as const
const TIMEOUT_KEYS = ['connectMs', 'headersMs', 'bodyMs', 'totalMs'] as const

/**
 * Validates `timeouts` and `maxResponseBytes` and fills in the defaults, throwing CONFIG_INVALID named by `name`
 * (`name('timeouts.totalMs')`). Shared by `httpClient` and the sources that build one (`rest()` checks its options
 * with it when it is built, under the names the user wrote), so the rules and defaults live in one place.
 */
export function httpLimits(options: { readonly timeouts?: unknown; readonly maxResponseBytes?: unknown }, name: (path: string) => string): HttpLimits {
  const given = options.timeouts ?? {}
  if (typeof given !== 'object' || given === null || Array.isArray(given)) {
    throw configInvalid(name('timeouts'), `an object of milliseconds with any of ${TIMEOUT_KEYS.join(', ')}`, given)
  }
  for (const key of Object.keys(given)) {
    if (!(TIMEOUT_KEYS as readonly string[]).includes(key)) throw configInvalid(name(`timeouts.${key}`), `one of ${TIMEOUT_KEYS.join(', ')}`, key)
  }
  const ms = given as Partial<Record<(typeof TIMEOUT_KEYS)[number], unknown>>
  const timeouts: TimeoutsMs = {
    connectMs: positiveMs(name('timeouts.connectMs'), ms.connectMs ?? DEFAULTS.connectMs),
    headersMs: positiveMs(name('timeouts.headersMs'), ms.headersMs ?? DEFAULTS.headersMs),
    bodyMs: positiveMs(name('timeouts.bodyMs'), ms.bodyMs ?? DEFAULTS.bodyMs),
    totalMs: positiveMs(name('timeouts.totalMs'), ms.totalMs ?? DEFAULTS.totalMs),
  }
  return { timeouts, maxResponseBytes: positiveInteger(name('maxResponseBytes'), options.maxResponseBytes ?? DEFAULTS.maxResponseBytes) }
}

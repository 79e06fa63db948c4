import { parseDuration, type Duration } from '../core/duration.js'
import { configInvalid, knownOptions, positiveInteger } from '../core/check-option.js'

/**
 * The limits an API puts on everyone who calls it, shared by every worker of a fleet: at most
 * `requests` per `per` (a token bucket in Redis, taken before each request by `fleetRateLimit`),
 * and at most `jobs.max` job starts per `jobs.per` of the connectors that call it (a BullMQ limiter
 * on the API's own queue). A 429 with Retry-After pauses this API's requests and queue only.
 *
 * @example
 * ```ts
 * import type { ApiLimits } from 'sluice/bullmq'
 * const github: ApiLimits = { requests: 5000, per: '1h', jobs: { max: 4, per: '1s' } }
 * ```
 */
export interface ApiLimits {
  readonly requests?: number
  readonly per?: Duration
  readonly jobs?: { readonly max: number; readonly per: Duration }
}

/** `ApiLimits` checked: request quota (if any) and job limiter (if any), in ms. */
export interface ApiLimitsResolved {
  readonly requests?: { readonly max: number; readonly perMs: number }
  readonly jobs?: { readonly max: number; readonly duration: number }
}

/** Checks a fleet's `apis`; names become queue names and Redis keys (letters, digits, `_`, `-`, `.`). */
export function resolveApis(apis: unknown, where: string): Map<string, ApiLimitsResolved> {
  const out = new Map<string, ApiLimitsResolved>()
  if (apis === undefined) return out
  if (typeof apis !== 'object' || apis === null || Array.isArray(apis)) throw configInvalid(`${where}.apis`, "an object such as { github: { requests: 5000, per: '1h' } }", apis)
  for (const [name, limits] of Object.entries(apis as Record<string, ApiLimits>)) {
    const at = `${where}.apis.${name}`
    if (!/^[A-Za-z0-9_.-]{1,60}$/.test(name)) throw configInvalid(`${where}.apis`, 'API names of letters, digits, _ . - (they name queues)', name)
    knownOptions(limits, { requests: true, per: true, jobs: true }, at)
    if ((limits.requests === undefined) !== (limits.per === undefined)) throw configInvalid(`${at}.per`, 'given together with requests (requests per duration)', limits.per ?? limits.requests)
    const resolved: { requests?: { max: number; perMs: number }; jobs?: { max: number; duration: number } } = {}
    if (limits.requests !== undefined) resolved.requests = { max: positiveInteger(`${at}.requests`, limits.requests), perMs: parseDuration(limits.per!, `${at}.per`) }
    if (limits.jobs !== undefined) {
      knownOptions(limits.jobs, { max: true, per: true }, `${at}.jobs`)
      resolved.jobs = { max: positiveInteger(`${at}.jobs.max`, limits.jobs.max), duration: parseDuration(limits.jobs.per, `${at}.jobs.per`) }
    }
    out.set(name, resolved)
  }
  return out
}

import type { Queue } from 'bullmq'
import type { Redis } from 'ioredis'
import { abortedError } from '../core/abort.js'
import { SluiceError } from '../core/sluice-error.js'
import type { RateLimiter } from '../retry/rate-limit.js'

/**
 * A token bucket in Redis, one per API: every worker takes its requests' tokens from it, so the
 * fleet as a whole stays under the API's quota. Redis's own clock is used (machines' clocks may
 * differ). Returns 0 when a token was taken, else how long to wait (ms): the bucket is empty, or a
 * 429's Retry-After blocks the API until then.
 */
const TAKE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local max = tonumber(ARGV[1])
local per = tonumber(ARGV[2])
local b = redis.call('HMGET', KEYS[1], 'tokens', 'at', 'blocked')
local blocked = tonumber(b[3]) or 0
if blocked > now then return blocked - now end
local tokens = tonumber(b[1]) or max
local at = tonumber(b[2]) or now
tokens = math.min(max, tokens + (now - at) * max / per)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = math.ceil((1 - tokens) * per / max) end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', now)
redis.call('PEXPIRE', KEYS[1], per * 2 + 60000)
return wait
`

/** Blocks the API until Redis's now + ARGV[1] ms (a later block is kept). */
const BLOCK = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local until_ = now + tonumber(ARGV[1])
local blocked = tonumber(redis.call('HGET', KEYS[1], 'blocked')) or 0
if until_ > blocked then redis.call('HSET', KEYS[1], 'blocked', until_) end
redis.call('PEXPIRE', KEYS[1], math.max(tonumber(ARGV[1]) + 60000, tonumber(redis.call('PTTL', KEYS[1]))))
return until_
`

interface Binding {
  readonly owner: object
  readonly redis: Redis
  readonly key: string
  readonly max: number
  readonly perMs: number
  /** The API's queue: a 429 also stops its workers from starting new jobs for that long. */
  readonly queue?: Queue
}

const bindings = new Map<string, Binding>()

/** Binds an API's shared limiter to a worker's Redis (done by `runWorker` for each API with a request quota). */
export function bindApiRateLimit(api: string, binding: Binding): () => void {
  bindings.set(api, binding)
  return () => {
    if (bindings.get(api)?.owner === binding.owner) bindings.delete(api)
  }
}

/**
 * The request limit of one of a fleet's `apis`, shared by every worker (a token bucket in Redis):
 * pass it to `httpClient({ rateLimit })` in a fleet connector's source. When the API answers 429
 * with Retry-After, every worker's requests to it wait that long and its queue starts no job
 * meanwhile; other APIs' connectors go on. Only usable inside a worker whose `apis` declare
 * `requests` and `per` for this name: elsewhere `take()` fails with `CONFIG_INVALID` rather than
 * sending requests unlimited.
 *
 * @example
 * ```ts
 * import { httpClient } from 'sluice'
 * import { apiRateLimit } from 'sluice/bullmq'
 * // With runWorker({ apis: { github: { requests: 5000, per: '1h' } }, … }):
 * const api = httpClient({ baseUrl: 'https://api.github.com', rateLimit: apiRateLimit('github') })
 * ```
 */
export function apiRateLimit(api: string): RateLimiter {
  const bound = (): Binding => {
    const b = bindings.get(api)
    if (!b) {
      throw new SluiceError({
        code: 'CONFIG_INVALID',
        message: `apiRateLimit(${JSON.stringify(api)}) is used outside a fleet worker that declares apis.${api} with requests and per; its limit is shared through the fleet's Redis, so it can't be honoured here`,
        context: { option: `apis.${api}` },
      })
    }
    return b
  }
  return {
    get requests() {
      return bindings.get(api)?.max ?? 0
    },
    get perMs() {
      return bindings.get(api)?.perMs ?? 0
    },
    async take(signal) {
      for (;;) {
        if (signal?.aborted) throw abortedError(signal, 'waiting for the API rate limit')
        const b = bound()
        const wait = Number(await b.redis.eval(TAKE, 1, b.key, b.max, b.perMs))
        if (wait <= 0) return
        await sleep(Math.min(wait, 5000), signal)
      }
    },
    backOff(ms) {
      const b = bindings.get(api)
      if (!b || !(ms > 0)) return
      b.redis.eval(BLOCK, 1, b.key, Math.ceil(ms)).catch(() => {})
      b.queue?.rateLimit(Math.ceil(ms)).catch(() => {})
    },
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(done, ms)
    function done() {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }
    function onAbort() {
      clearTimeout(timer)
      reject(abortedError(signal!, 'waiting for the API rate limit'))
    }
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

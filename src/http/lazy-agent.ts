import type { Agent, Dispatcher } from 'undici'

/** undici's keep-alive `Agent`, created once undici has loaded. */
export interface LazyAgent {
  /** The agent: at once when undici has loaded; else when it has, or the signal's abort reason if that comes first. */
  ready(signal?: AbortSignal | null): Dispatcher | Promise<Dispatcher>
  close(): Promise<void>
}

/**
 * Starts importing undici and creates the `Agent` when it has loaded. `httpClient` uses it so that
 * importing `sluice` doesn't load undici (it cost every cold start ~0.1 s, README, cold-start): the
 * import starts when a client is built and overlaps whatever runs before its first request. A
 * request aborted while undici is still loading fails at once, as it would on the wire.
 */
export function lazyAgent(options: Agent.Options): LazyAgent {
  let agent: Dispatcher | undefined
  const loading = import('undici').then(({ Agent }) => (agent = new Agent(options)))
  loading.catch(() => {}) // a failed import fails each request and close(), not the process
  return {
    ready: (signal) => agent ?? (signal ? untilAborted(loading, signal) : loading),
    close: async () => (await loading).close(),
  }
}

function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason)
    if (signal.aborted) return onAbort()
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
  })
}

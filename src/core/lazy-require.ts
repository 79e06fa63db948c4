import { createRequire } from 'node:module'

/**
 * A synchronous loader for a heavy dependency that only some calls need: `lazyRequire('effect/Schema')()`
 * loads it on the first call, from sluice's own location, and returns the cached module afterwards.
 * Importing `sluice` therefore never loads it (a static import would, in both builds: serverless
 * cold starts paid 0.6–1.2 s for effect alone, see README, cold-start).
 *
 * It is `require`, also in the ESM build, because its caller is synchronous (`decodeConfig` throws
 * when a factory is built): an ESM caller then holds the CommonJS copy of effect next to its own ESM
 * copy. effect/Schema decodes schemas built by either copy (schemas are data tagged with
 * `Symbol.for` ids; `test/core/decode-config.test.ts` runs exactly that mix). Not every package is
 * like that: apache-arrow batches from one copy wrote broken IPC through the other's `Table`, which
 * is why `toArrow` lives behind the `sluice/arrow` entry instead.
 */
export function lazyRequire<T>(specifier: string): () => T {
  let module: T | undefined
  return () => (module ??= createRequire(moduleLocation())(specifier) as T)
}

/**
 * Where this module lives. ESM (the ESM build, tsx, vitest) has `import.meta.url`; the CommonJS
 * build empties `import.meta`, and there `__filename` is the bundle's own path (see load-duckdb.ts).
 */
function moduleLocation(): string {
  return (import.meta.url as string | undefined) ?? __filename
}

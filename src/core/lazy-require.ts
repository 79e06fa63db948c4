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
 * Imports a heavy dependency on an async path as the caller's own build would have: `import()` in
 * ESM, `require` in the CommonJS build. A plain `import()` in the CommonJS build would load the ESM
 * copy of a dual package (effect) next to the CommonJS copy the caller already has: a second copy
 * to load (0.6 s for effect) and objects from two copies meeting.
 */
export async function importAsBuilt<T>(specifier: string): Promise<T> {
  return import.meta.url ? ((await import(specifier)) as T) : (createRequire(__filename)(specifier) as T)
}

/**
 * Where this module lives. ESM (the ESM build, tsx, vitest) has `import.meta.url`; the CommonJS
 * build empties `import.meta`, and there `__filename` is the bundle's own path (see load-duckdb.ts).
 */
function moduleLocation(): string {
  return (import.meta.url as string | undefined) ?? __filename
}

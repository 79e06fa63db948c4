import { createRequire } from 'node:module'

/**
 * A synchronous loader for a heavy dependency that only some calls need: `lazyRequire('effect/Schema')()`
 * loads it on the first call, from sluice's own location, and returns the cached module afterwards.
 * Importing `sluice` therefore never loads it (a static import would, in both builds: serverless
 * cold starts paid 0.6–1.2 s for effect alone, see README, cold-start).
 *
 * It is `require`, also in the ESM build, because the callers are synchronous (factories throw
 * when built, `toArrow` returns a batch): an ESM caller then holds the CommonJS copy of the package
 * next to its own ESM copy. That is safe for the two packages loaded this way: effect/Schema decodes
 * schemas built by either copy (schemas are data, tagged with `Symbol.for` ids), and apache-arrow's
 * `RecordBatch`, `Table`, `Schema`, `Field` and `Data` answer `instanceof` across copies.
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

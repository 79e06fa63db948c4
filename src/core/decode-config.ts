import type { ParseResult as ParseResultModule, Schema } from 'effect'
import { lazyRequire } from './lazy-require.js'
import { SluiceError } from './sluice-error.js'

// Loaded on the first call, not with `sluice`: effect is the heaviest module a cold start could load.
const effectSchema = lazyRequire<typeof Schema>('effect/Schema')
const parseResult = lazyRequire<typeof ParseResultModule>('effect/ParseResult')

/**
 * Decodes user configuration with an `effect/Schema`, turning every problem into one
 * `CONFIG_INVALID` error whose message lists each offending path (`streams.0.path: …`).
 * Call it in a factory, so a bad option fails when built, never on the first batch. effect is
 * loaded on the first call (importing `sluice` does not load it).
 *
 * @example
 * ```ts
 * import { Schema } from 'effect'
 * import { decodeConfig } from 'sluice'
 * const opts = decodeConfig(Schema.Struct({ limit: Schema.Number }), { limit: 10 }, 'offset')
 * ```
 */
export function decodeConfig<A, I>(schema: Schema.Schema<A, I, never>, input: unknown, what: string): A {
  const result = effectSchema().decodeUnknownEither(schema, { errors: 'all', onExcessProperty: 'error' })(input)
  if (result._tag === 'Right') return result.right
  const issues = parseResult().ArrayFormatter.formatErrorSync(result.left)
  // A union reports one issue per member at the same path: keep the first, it reads best.
  const seen = new Set<string>()
  const lines: string[] = []
  for (const issue of issues) {
    const path = issue.path.length ? issue.path.join('.') : '(root)'
    if (seen.has(path)) continue
    seen.add(path)
    lines.push(`${what}.${path}: ${issue.message}`.replace(`${what}.(root)`, what))
  }
  return failConfig(lines.join('; '), { option: what, issues: lines })
}

function failConfig(message: string, context: Record<string, unknown>): never {
  throw new SluiceError({ code: 'CONFIG_INVALID', message, context })
}

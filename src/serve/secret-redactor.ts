/** Shorter values are not treated as secrets: `eu` or `true` would blank out half an answer. */
export const MIN_SECRET_LENGTH = 6

/**
 * A function that replaces every occurrence of `secrets` in a text — as written, and as JSON
 * escapes it — by `[redacted]`. The server's last line of defence: a connector's error message
 * may quote a configuration value (`invalid key sk_live_…`), and the warehouse stores it as
 * written; the API key and secret, and every configuration value of a served folder, go through
 * it before any answer or metric leaves.
 *
 * @example
 * ```ts
 * import { secretRedactor } from './secret-redactor.js'
 * secretRedactor(['sk_live_123456'])('bad key sk_live_123456') // 'bad key [redacted]'
 * ```
 */
export function secretRedactor(secrets: Iterable<string>): (text: string) => string {
  const forms = new Set<string>()
  for (const secret of secrets) {
    if (secret.length < MIN_SECRET_LENGTH) continue
    forms.add(secret)
    forms.add(JSON.stringify(secret).slice(1, -1))
  }
  // Longest first, so a secret that contains another is replaced whole.
  const ordered = [...forms].sort((a, b) => b.length - a.length)
  if (ordered.length === 0) return (text) => text
  return (text) => {
    let out = text
    for (const form of ordered) out = out.split(form).join('[redacted]')
    return out
  }
}

/**
 * Every string value of a configuration object, nested ones included: what a connector folder's
 * `configuration.json` holds is secret until proven otherwise.
 *
 * @example
 * ```ts
 * import { configurationSecrets } from './secret-redactor.js'
 * configurationSecrets({ api_key: 'sk_live_1', nested: { password: 'pw' } }) // ['sk_live_1', 'pw']
 * ```
 */
export function configurationSecrets(value: unknown): string[] {
  if (typeof value === 'string') return [value]
  if (typeof value !== 'object' || value === null) return []
  return Object.values(value as Record<string, unknown>).flatMap(configurationSecrets)
}

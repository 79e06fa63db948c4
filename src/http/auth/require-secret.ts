import { SluiceError } from '../../core/sluice-error.js'

/**
 * Checks a credential option is a non-empty string, throwing `CONFIG_INVALID` that never echoes the value.
 * Used by the auth factories, whose inputs are secrets.
 *
 * @example
 * ```ts
 * import { requireSecret } from './require-secret.js'
 * requireSecret('bearerAuth.token', process.env.API_TOKEN ?? 'dev-token')
 * ```
 */
export function requireSecret(what: string, value: unknown): string {
  if (typeof value === 'string' && value.length > 0) return value
  const got = value === undefined ? 'undefined' : value === '' ? 'an empty string' : `a ${typeof value}`
  throw new SluiceError({
    code: 'CONFIG_INVALID',
    message: `\`${what}\` must be a non-empty string, got ${got} (is the environment variable or secret set?)`,
    context: { option: what },
  })
}

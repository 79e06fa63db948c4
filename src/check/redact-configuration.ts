import type { CheckResult } from '../contracts/check.js'
import type { Configuration } from '../contracts/source.js'

/** Configuration keys whose values are secrets (`api_token`, `password`, `client_secret`, `private_key`, …). */
const SECRET_KEY = /token|secret|password|passwd|pwd|key|credential|auth|dsn|connection/i

/**
 * A check result with the values of the configuration's secret-named keys replaced by `***`, in
 * its message and hint: a check's message may quote what a server said, and a server may echo a
 * credential. Connection strings (`dsn`, `connection_string`) count as secret, since they carry passwords.
 *
 * @example
 * ```ts
 * import { redactConfigurationSecrets } from './redact-configuration.js'
 * redactConfigurationSecrets({ name: 'api', ok: false, message: 'token abc123 rejected' }, { api_token: 'abc123' }).message // 'token *** rejected'
 * ```
 */
export function redactConfigurationSecrets(result: CheckResult, configuration: Configuration): CheckResult {
  // Short values (a port, `true`) would redact ordinary words; a credential is longer.
  const secrets = Object.entries(configuration)
    .filter(([key, value]) => SECRET_KEY.test(key) && typeof value === 'string' && value.length >= 4)
    .map(([, value]) => value)
    .sort((a, b) => b.length - a.length)
  if (secrets.length === 0) return result
  const scrub = (text: string) => secrets.reduce((out, secret) => out.split(secret).join('***'), text)
  return { ...result, message: scrub(result.message), ...(result.hint !== undefined ? { hint: scrub(result.hint) } : {}) }
}

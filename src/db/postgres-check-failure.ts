import type { CheckResult } from '../contracts/check.js'
import { isSluiceError } from '../core/sluice-error.js'

/**
 * A failed connect to Postgres as a check result, in words: the SQLSTATE or socket error mapped to
 * what to change (password, database name, host, firewall). The message comes from the driver and
 * names the target as `host:port/db`, never the password.
 *
 * @example
 * ```ts
 * import { pgConnectFailure } from './postgres-check-failure.js'
 * const cause = Object.assign(new Error('password authentication failed for user "reader"'), { code: '28P01' })
 * pgConnectFailure('postgres: connect', cause).hint // 'check the user and password of the connection'
 * ```
 */
export function pgConnectFailure(name: string, error: unknown): CheckResult {
  const root = isSluiceError(error) && error.cause !== undefined ? error.cause : error
  const code = (root as { code?: unknown } | null)?.code
  const message = error instanceof Error ? error.message : String(error)
  const hint =
    code === '28P01' || code === '28000'
      ? 'check the user and password of the connection'
      : code === '3D000'
        ? 'check the database name of the connection'
        : code === 'ENOTFOUND' || code === 'EAI_AGAIN'
          ? 'DNS: check the host of the connection'
          : code === 'ECONNREFUSED'
            ? 'nothing accepts connections there: is Postgres running on that host and port? check firewall rules and listen_addresses'
            : code === 'ETIMEDOUT'
              ? 'no answer: a firewall may drop the packets; check firewall rules and that the host is reachable from here'
              : 'check the connection'
  return { name, ok: false, message, hint, ...(isSluiceError(error) ? { code: error.code } : {}) }
}

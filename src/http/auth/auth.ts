/**
 * The outgoing request an `Auth` may add credentials to: method, URL and headers.
 * Received by `Auth.apply`; set headers or query parameters on it.
 *
 * @example
 * ```ts
 * import type { AuthTarget } from 'sluice'
 * const sign = ({ headers }: AuthTarget) => { headers['x-signature'] = 'sig_123456' }
 * ```
 */
export interface AuthTarget {
  readonly method: string
  /** The final URL; add query credentials with `url.searchParams.set`. */
  readonly url: URL
  /** Outgoing headers, lower-case names; add header credentials here. */
  readonly headers: Record<string, string>
  readonly signal?: AbortSignal
}

/**
 * How a request proves who it is: adds credentials to each request, and may renew them after a 401.
 * Implement it for a custom scheme (signed requests, session cookies); the built-ins are
 * `apiKeyAuth`, `bearerAuth`, `basicAuth` and `oauth2ClientCredentials`.
 *
 * Secrets must never reach errors or logs: list every secret value in `secrets()` and every query
 * parameter that carries one in `secretParams`, and the HTTP client will redact them.
 *
 * @example
 * ```ts
 * import type { Auth } from 'sluice'
 * const custom: Auth = {
 *   apply: ({ headers }) => { headers['x-session'] = 'abc123' },
 *   secrets: () => ['abc123'],
 * }
 * ```
 */
export interface Auth {
  /** Adds credentials to the request (may fetch them first). */
  apply(target: AuthTarget): void | Promise<void>
  /** Renews the credentials after a 401; the client then retries that request once. */
  refresh?(args: { readonly signal?: AbortSignal }): Promise<void>
  /** The secret values currently in use, to redact wherever text leaves sluice. */
  secrets?(): readonly string[]
  /** Query parameter names that carry secrets, to redact in URLs. */
  readonly secretParams?: readonly string[]
}

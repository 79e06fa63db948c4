import { knownOptions } from '../core/check-option.js'
import { SluiceError } from '../core/sluice-error.js'
import { checkFailed, type CheckResult } from '../contracts/check.js'
import type { SinkWriter } from '../contracts/sink.js'
import { toSource, type Configuration, type SourceLike } from '../contracts/source.js'
import { redactConfigurationSecrets } from './redact-configuration.js'

/** What `check()` checks: a source, a destination, or both. */
export interface CheckOptions {
  readonly source?: SourceLike
  readonly destination?: SinkWriter
  /** The connector's configuration (configuration.json), handed to `Source.check`. Default `{}`. */
  readonly configuration?: Configuration
  /** Aborts the checks still running. */
  readonly signal?: AbortSignal
}

/** The results of `check()`: `ok` when no check failed (a skipped check is not a failure). */
export interface CheckReport {
  readonly ok: boolean
  /** The source's results first, then the destination's, in the order they ran. */
  readonly results: readonly CheckResult[]
}

/**
 * Checks a connection before deploying it: runs `source.check` (reachability, authentication,
 * permissions, each stream's first request) and `destination.check` (can it be written) and
 * gathers their results. A source or destination without `check` gives one skipped result that
 * says so; one whose check throws gives a failed one. Values of configuration keys that name a
 * secret (`token`, `password`, `secret`, `key`, …) never appear in a result.
 *
 * @example
 * ```ts
 * import { check, rest, sqlite } from 'sluice'
 * const report = await check({
 *   source: rest({ baseUrl: 'https://api.example.com/v1', streams: [{ table: 'orders', path: '/orders', records: 'data' }] }),
 *   destination: sqlite({ path: 'warehouse.db' }),
 * })
 * for (const r of report.results) console.log(`${r.ok ? '✓' : '✗'} ${r.name}: ${r.message}`)
 * ```
 */
export async function check(options: CheckOptions): Promise<CheckReport> {
  knownOptions(options, { source: true, destination: true, configuration: true, signal: true }, 'check')
  if (options.source === undefined && options.destination === undefined) {
    throw new SluiceError({ code: 'CONFIG_INVALID', message: '`check` needs a `source`, a `destination` or both', context: { option: 'source' } })
  }
  const configuration = options.configuration ?? {}
  const signal = options.signal ?? new AbortController().signal
  const results: CheckResult[] = []
  if (options.source !== undefined) {
    const source = toSource(options.source)
    const name = `source${source.id ? ` ${source.id}` : ''}`
    if (!source.check) results.push({ name, ok: true, skipped: true, message: 'not checked: the source has no check()' })
    else results.push(...(await guarded(name, () => source.check!({ configuration, signal }))))
  }
  if (options.destination !== undefined) {
    const destination = options.destination
    const name = `destination ${destination.name}`
    if (!destination.check) results.push({ name, ok: true, skipped: true, message: 'not checked: the destination has no check()' })
    else results.push(...(await guarded(name, () => destination.check!())))
  }
  const clean = results.map((r) => redactConfigurationSecrets(r, configuration))
  return { ok: clean.every((r) => r.ok), results: clean }
}

async function guarded(name: string, run: () => Promise<readonly CheckResult[]>): Promise<readonly CheckResult[]> {
  try {
    return await run()
  } catch (error) {
    return [checkFailed(name, error)]
  }
}

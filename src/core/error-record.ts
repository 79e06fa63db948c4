import type { Row } from './batch.js'

/**
 * A record or request that failed while a policy said continue: it lands in `_sluice_errors`
 * in the same transaction as the checkpoint that follows it, so "skipped" and "recorded" commit
 * together. Never put secrets in it (URLs must already be redacted).
 *
 * @example
 * ```ts
 * import type { ErrorRecord } from 'sluice'
 * const e: ErrorRecord = { kind: 'record', table: 'orders', code: 'VALIDATION_FAILED', message: 'total: expected a number', record: { id: 7 } }
 * ```
 */
export interface ErrorRecord {
  /** What failed: a row, a single value of a row, a request, a whole file, a schema decision. */
  readonly kind: 'record' | 'value' | 'request' | 'file' | 'schema'
  readonly table?: string
  readonly code: string
  readonly message: string
  /** Where: URL without secrets, parameters, column, primary key, file path … */
  readonly context?: Readonly<Record<string, unknown>>
  /** The failing row (or its key), when there is one. */
  readonly record?: Row
}

/** Records an error for `_sluice_errors`; handed to sources and stages by `sync()`. */
export type RecordError = (error: ErrorRecord) => void

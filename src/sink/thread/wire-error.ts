import { isSluiceError, SluiceError } from '../../core/sluice-error.js'

/** An error as it crosses from a worker thread: structured-clone safe, stack kept for debugging. */
export interface WireError {
  readonly sluice?: ReturnType<SluiceError['toJSON']>
  readonly name: string
  readonly message: string
  readonly stack?: string
  /** The message of the cause, if any (a native error from better-sqlite3, say). */
  readonly cause?: { readonly name: string; readonly message: string; readonly code?: unknown }
}

/** The wire form of anything thrown. */
export function toWireError(thrown: unknown): WireError {
  const error = thrown instanceof Error ? thrown : undefined
  const cause = error?.cause instanceof Error ? error.cause : undefined
  return {
    ...(isSluiceError(thrown) ? { sluice: cloneSafe(thrown.toJSON()) } : {}),
    name: error?.name ?? 'Error',
    message: error?.message ?? String(thrown),
    ...(error?.stack ? { stack: error.stack } : {}),
    ...(cause ? { cause: { name: cause.name, message: cause.message, ...((cause as { code?: unknown }).code !== undefined ? { code: String((cause as { code?: unknown }).code) } : {}) } } : {}),
  }
}

/**
 * The error again on the caller's thread: a `SluiceError` with the same code, message,
 * `retryable` and context; anything else an `Error` with the same name and message.
 */
export function fromWireError(wire: WireError): Error {
  const cause = wire.cause ? Object.assign(new Error(wire.cause.message), { name: wire.cause.name }, wire.cause.code === undefined ? {} : { code: wire.cause.code }) : undefined
  const error = wire.sluice ? SluiceError.fromJSON(wire.sluice, cause) : Object.assign(new Error(wire.message, cause ? { cause } : undefined), { name: wire.name })
  if (wire.stack) error.stack = wire.stack
  return error
}

/** Context holds plain data by contract; should a value not clone (a function, a socket), its text goes instead. */
function cloneSafe(json: ReturnType<SluiceError['toJSON']>): ReturnType<SluiceError['toJSON']> {
  try {
    structuredClone(json.context)
    return json
  } catch {
    const context: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(json.context)) {
      try {
        context[k] = structuredClone(v)
      } catch {
        context[k] = String(v)
      }
    }
    return { ...json, context }
  }
}

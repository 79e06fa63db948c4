import type { IncomingMessage, ServerResponse } from 'node:http'
import { SluiceError } from '../core/sluice-error.js'

/** Largest request body the API reads (1 MiB): its bodies are a few flags. */
export const MAX_BODY_BYTES = 1 << 20

const redactions = new WeakMap<ServerResponse, (text: string) => string>()

/**
 * Makes every {@link replyJson} answer of `res` pass through `redact` (the server's secrets out).
 *
 * @example
 * ```ts
 * import { redactReplies } from './http-reply.js'
 * import type { ServerResponse } from 'node:http'
 * declare const res: ServerResponse
 * redactReplies(res, (text) => text.replaceAll('hunter2', '[redacted]'))
 * ```
 */
export function redactReplies(res: ServerResponse, redact: (text: string) => string): void {
  redactions.set(res, redact)
}

/**
 * Sends `body` as JSON with `status`; never cached (facts change with every sync).
 *
 * @example
 * ```ts
 * import { replyJson } from './http-reply.js'
 * import type { ServerResponse } from 'node:http'
 * declare const res: ServerResponse
 * replyJson(res, 404, { code: 'NotFound_Connector', message: 'no connector shop' })
 * ```
 */
export function replyJson(res: ServerResponse, status: number, body: unknown): void {
  const text = (redactions.get(res) ?? String)(JSON.stringify(body))
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text) })
  res.end(text)
}

/**
 * The JSON body of a request, `{}` when empty. A body that is not a JSON object, or larger than
 * {@link MAX_BODY_BYTES}, is a `CONFIG_INVALID` error the caller answers with 400.
 *
 * @example
 * ```ts
 * import { readJsonBody } from './http-reply.js'
 * import type { IncomingMessage } from 'node:http'
 * declare const req: IncomingMessage
 * const { paused } = await readJsonBody(req)
 * ```
 */
export async function readJsonBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > MAX_BODY_BYTES) throw new SluiceError({ code: 'CONFIG_INVALID', message: `the request body is larger than ${MAX_BODY_BYTES} bytes` })
    chunks.push(chunk as Buffer)
  }
  const text = Buffer.concat(chunks).toString('utf8').trim()
  if (text === '') return {}
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new SluiceError({ code: 'CONFIG_INVALID', message: 'the request body is not JSON' })
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new SluiceError({ code: 'CONFIG_INVALID', message: 'the request body must be a JSON object' })
  return value as Record<string, unknown>
}

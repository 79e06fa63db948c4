import { promisify } from 'node:util'
import zlib from 'node:zlib'
import type { SluiceError } from '../core/sluice-error.js'

const gunzip = promisify(zlib.gunzip)
const inflate = promisify(zlib.inflate)
const inflateRaw = promisify(zlib.inflateRaw)
const brotli = promisify(zlib.brotliDecompress)

/** Content codings the client asks for and can decode. */
export const ACCEPT_ENCODING = 'gzip, deflate, br'

/** How to read a body: `'throw'` past the cap, or `'truncate'` to keep a prefix (for error excerpts). */
export type ReadBodyOptions =
  | {
      /** The `content-encoding` response header. */
      readonly encoding: string | undefined
      /** Cap on both the received and the decoded size, bytes. */
      readonly maxBytes: number
      readonly overflow: 'throw'
      readonly tooLarge: () => SluiceError
      readonly undecodable: (problem: string, cause: unknown) => SluiceError
    }
  | {
      readonly encoding: string | undefined
      readonly maxBytes: number
      /** Keep the first `maxBytes` and decode leniently; undefined when the prefix cannot be decoded. */
      readonly overflow: 'truncate'
    }

/**
 * Reads a response body into memory, enforcing a size cap and undoing gzip / deflate / br content coding.
 * Used by the HTTP client for every response; stopping early destroys the body so undici frees the socket.
 * Errors from the socket itself (reset, body timeout) are rethrown unchanged for the caller to classify.
 *
 * undici 7.x has `interceptors.decompress`, but decoding here keeps one size cap on the decoded bytes
 * (a zip bomb stays bounded) and turns corrupt coding into a typed `HTTP_BODY` error.
 *
 * @example
 * ```ts
 * import { Readable } from 'node:stream'
 * import { SluiceError } from 'sluice'
 * import { readBody } from './read-body.js'
 * const fail = () => new SluiceError({ code: 'HTTP_BODY', message: 'too large' })
 * const buf = await readBody(Readable.from([Buffer.from('{}')]), { encoding: undefined, maxBytes: 1024, overflow: 'throw', tooLarge: fail, undecodable: fail })
 * ```
 */
export async function readBody(body: AsyncIterable<Uint8Array> & { destroy(): unknown }, options: ReadBodyOptions): Promise<Buffer | undefined> {
  const chunks: Buffer[] = []
  let size = 0
  let truncated = false
  for await (const chunk of body) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk)
    if (size + buf.length > options.maxBytes) {
      body.destroy()
      if (options.overflow === 'throw') throw options.tooLarge()
      chunks.push(buf.subarray(0, options.maxBytes - size))
      truncated = true
      break
    }
    size += buf.length
    chunks.push(buf)
  }
  const raw = Buffer.concat(chunks)
  const codings = (options.encoding ?? '')
    .toLowerCase()
    .split(',')
    .map((c) => c.trim())
    .filter((c) => c !== '' && c !== 'identity')
  if (codings.length === 0 || raw.length === 0) return raw
  try {
    return await decode(raw, codings.reverse(), options.maxBytes, truncated)
  } catch (error) {
    if (options.overflow === 'truncate') return undefined
    if ((error as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') throw options.tooLarge()
    if (error instanceof UnsupportedCoding) throw options.undecodable(error.message, undefined)
    throw options.undecodable(`could not be decoded as ${options.encoding}; the body is corrupt or mislabelled`, error)
  }
}

// internal protocol: thrown by decode() and caught in readBody above, which turns it into the caller's coded error
class UnsupportedCoding extends Error {}

async function decode(input: Buffer, codings: string[], maxBytes: number, lenient: boolean): Promise<Buffer> {
  let data = input
  // Lenient decoding of a truncated prefix: flush what is there instead of failing on the missing tail.
  const zlibOptions: zlib.ZlibOptions = { maxOutputLength: maxBytes, ...(lenient ? { finishFlush: zlib.constants.Z_SYNC_FLUSH } : {}) }
  for (const coding of codings) {
    if (coding === 'gzip' || coding === 'x-gzip') data = await gunzip(data, zlibOptions)
    else if (coding === 'deflate') {
      // 'deflate' should be zlib-wrapped (RFC 9110), but some servers send raw deflate: a zlib stream's
      // first byte has compression method 8 in its low nibble.
      data = (data[0]! & 0x0f) === 0x08 ? await inflate(data, zlibOptions) : await inflateRaw(data, zlibOptions)
    } else if (coding === 'br') {
      data = await brotli(data, {
        maxOutputLength: maxBytes,
        ...(lenient ? { finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH } : {}),
      })
    } else throw new UnsupportedCoding(`uses content-encoding '${coding}', which sluice cannot decode (it asks for ${ACCEPT_ENCODING})`)
  }
  return data
}

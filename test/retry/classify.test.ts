import { errors } from 'undici'
import { describe, expect, it } from 'vitest'
import { SluiceError } from '../../src/core/sluice-error.js'
import { isRetryable, isRetryableStatus, isTimeoutCode, statusAdvice, transientNetworkCode } from '../../src/retry/classify.js'

const withCode = (code: string, message = 'boom'): Error => Object.assign(new Error(message), { code })

describe('classification', () => {
  it('retries 408, 429 and 5xx but no other 4xx', () => {
    for (const status of [408, 429, 500, 502, 503, 504, 599]) expect(isRetryableStatus(status)).toBe(true)
    for (const status of [400, 401, 403, 404, 409, 410, 422]) expect(isRetryableStatus(status)).toBe(false)
  })

  it('says what to fix for auth and path errors', () => {
    expect(statusAdvice(401)).toContain('check the credential')
    expect(statusAdvice(403)).toContain('check the credential')
    expect(statusAdvice(404)).toContain('check the path and baseUrl')
  })

  it('trusts a SluiceError flag over anything else', () => {
    expect(isRetryable(new SluiceError({ code: 'HTTP_STATUS', message: 'x', retryable: true }))).toBe(true)
    expect(isRetryable(new SluiceError({ code: 'HTTP_STATUS', message: 'ECONNRESET', retryable: false }))).toBe(false)
  })

  it('retries socket resets and timeouts by code, never by message text', () => {
    expect(isRetryable(withCode('ECONNRESET'))).toBe(true)
    expect(isRetryable(withCode('ETIMEDOUT'))).toBe(true)
    expect(isRetryable(new Error('ECONNRESET socket hang up'))).toBe(false)
    expect(isRetryable(new TypeError('cannot read properties of undefined'))).toBe(false)
  })

  it('retries undici transport errors but not its argument or abort errors', () => {
    expect(isRetryable(new errors.SocketError('other side closed'))).toBe(true)
    expect(isRetryable(new errors.HeadersTimeoutError())).toBe(true)
    expect(isRetryable(new errors.BodyTimeoutError())).toBe(true)
    expect(isRetryable(new errors.ConnectTimeoutError())).toBe(true)
    expect(isRetryable(new errors.InvalidArgumentError('bad'))).toBe(false)
    expect(isRetryable(new errors.RequestAbortedError())).toBe(false)
  })

  it('finds a network code through cause chains and AggregateErrors', () => {
    const fetchFailed = new TypeError('fetch failed', { cause: withCode('ECONNRESET') })
    expect(transientNetworkCode(fetchFailed)).toBe('ECONNRESET')
    const eyeballs = new AggregateError([withCode('ECONNREFUSED'), withCode('ECONNREFUSED')], 'connect failed')
    expect(isRetryable(eyeballs)).toBe(true)
    expect(isTimeoutCode('UND_ERR_HEADERS_TIMEOUT')).toBe(true)
    expect(isTimeoutCode('ECONNRESET')).toBe(false)
  })
})

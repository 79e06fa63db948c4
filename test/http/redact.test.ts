import { describe, expect, it } from 'vitest'
import { buildUrl } from '../../src/http/build-url.js'
import { redactSecrets, redactUrl } from '../../src/http/redact.js'

describe('redactUrl', () => {
  it('hides well-known secret parameters, case-insensitively, and keeps the rest', () => {
    expect(redactUrl('https://api.example.com/v1/orders?API_KEY=abc123&page=2&access_token=t0k3n')).toBe(
      'https://api.example.com/v1/orders?API_KEY=[REDACTED]&page=2&access_token=[REDACTED]',
    )
  })

  it('hides extra parameter names, userinfo and the fragment', () => {
    expect(redactUrl('https://user:pass@api.example.com/x?subscription=s3cr3t#frag', { params: ['subscription'] })).toBe(
      'https://[REDACTED]@api.example.com/x?subscription=[REDACTED]',
    )
  })

  it('cuts known secret values out of the path too', () => {
    expect(redactUrl('https://api.telegram.org/bot123456:ABCDEF/getUpdates', { secrets: ['123456:ABCDEF'] })).toBe(
      'https://api.telegram.org/bot[REDACTED]/getUpdates',
    )
  })
})

describe('redactSecrets', () => {
  it('replaces raw and URL-encoded forms, ignoring trivially short values', () => {
    expect(redactSecrets('key=a b/c+d&raw=a b/c+d', ['a b/c+d'])).toBe('key=[REDACTED]&raw=[REDACTED]')
    expect(redactSecrets('encoded a%20b%2Fc%2Bd', ['a b/c+d'])).toBe('encoded [REDACTED]')
    expect(redactSecrets('abc', ['ab'])).toBe('abc')
  })
})

describe('buildUrl', () => {
  it('keeps the base path and adds query parameters, repeating arrays and skipping undefined', () => {
    const url = buildUrl({ baseUrl: 'https://api.example.com/v1/', path: 'orders', query: { id: [1, 2], q: undefined, n: null, on: true } })
    expect(url.href).toBe('https://api.example.com/v1/orders?id=1&id=2&on=true')
  })

  it('uses an absolute url as it is and merges its query', () => {
    expect(buildUrl({ baseUrl: 'https://a.example.com/v1', url: 'https://b.example.com/next?cursor=x', query: { limit: 5 } }).href).toBe(
      'https://b.example.com/next?cursor=x&limit=5',
    )
  })

  it('refuses a bad URL without echoing its query string', () => {
    expect(() => buildUrl({ url: 'http://exa mple.com/x?api_key=s3cr3t' })).toThrow(/must form a valid URL, got "http:\/\/exa mple.com\/x\?…"/)
    expect(() => buildUrl({ path: '/x?api_key=s3cr3t' })).not.toThrow(/s3cr3t/)
  })
})

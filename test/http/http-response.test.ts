import { describe, expect, it } from 'vitest'
import { ExactDecimal } from '../../src/index.js'
import { httpResponse } from '../../src/http/http-response.js'

const response = (body: string) => httpResponse({ method: 'GET', url: 'https://api.example.com/x' }, 200, {}, Buffer.from(body), (s) => s)

describe('HttpResponse.json', () => {
  it('keeps integers beyond 2^53 as bigints and long decimals as ExactDecimal (JSON.parse rounded both)', () => {
    expect(response('{"id":9007199254740993,"amount":12345678901234567890.123,"n":1.5}').json()).toEqual({
      id: 9007199254740993n,
      amount: new ExactDecimal('12345678901234567890.123'),
      n: 1.5,
    })
  })

  it('still fails with HTTP_BODY on invalid JSON that holds a long number', () => {
    expect(() => response('{"id":9007199254740993,').json()).toThrow(expect.objectContaining({ code: 'HTTP_BODY' }))
  })
})

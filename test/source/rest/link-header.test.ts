import { describe, expect, it } from 'vitest'
import { findLink, parseLinkHeader } from '../../../src/source/rest/link-header.js'

const BASE = 'https://api.example.com/v1/orders?page=2'

describe('parseLinkHeader (RFC 8288)', () => {
  it('reads several links with quoted and unquoted params', () => {
    const links = parseLinkHeader('<https://api.example.com/v1/orders?page=3>; rel="next", <https://api.example.com/v1/orders?page=9>; rel=last')
    expect(links).toEqual([
      { target: 'https://api.example.com/v1/orders?page=3', params: { rel: 'next' } },
      { target: 'https://api.example.com/v1/orders?page=9', params: { rel: 'last' } },
    ])
  })

  it('keeps commas, semicolons and escaped quotes inside quoted values and targets', () => {
    const links = parseLinkHeader('</a?x=1,2;3>; title="one, two; \\"three\\""; rel="next", </b>; rel="prev"')
    expect(links[0]).toEqual({ target: '/a?x=1,2;3', params: { title: 'one, two; "three"', rel: 'next' } })
    expect(links[1]?.params.rel).toBe('prev')
  })

  it('joins repeated headers, ignores case of names, keeps the first rel', () => {
    const links = parseLinkHeader(['</p2>; REL="Next"; rel="last"', '</p9>;rel=last'])
    expect(links.map((l) => [l.target, l.params.rel])).toEqual([['/p2', 'Next'], ['/p9', 'last']])
  })

  it('skips malformed parts without throwing', () => {
    expect(parseLinkHeader('garbage, </ok>; rel=next')).toEqual([{ target: '/ok', params: { rel: 'next' } }])
    expect(parseLinkHeader('</unterminated; rel=next')).toEqual([])
    expect(parseLinkHeader('')).toEqual([])
    expect(parseLinkHeader(undefined)).toEqual([])
  })
})

describe('findLink', () => {
  it('finds rel among several space-separated relations, case-insensitively', () => {
    expect(findLink('</x?page=3>; rel="NEXT last"', 'next', BASE)).toBe('https://api.example.com/x?page=3')
  })

  it('resolves relative targets against the request URL', () => {
    expect(findLink('<?page=3>; rel="next"', 'next', BASE)).toBe('https://api.example.com/v1/orders?page=3')
    expect(findLink('<orders?page=3>; rel="next"', 'next', BASE)).toBe('https://api.example.com/v1/orders?page=3')
  })

  it('is undefined without a next link', () => {
    expect(findLink('</x>; rel="prev"', 'next', BASE)).toBeUndefined()
  })
})

/**
 * One link of an RFC 8288 `Link` header: its target as written and its parameters (names lower-cased, first value kept).
 * Returned by `parseLinkHeader`.
 *
 * @example
 * ```ts
 * import type { LinkValue } from './link-header.js'
 * const link: LinkValue = { target: '/orders?page=2', params: { rel: 'next' } }
 * ```
 */
export interface LinkValue {
  readonly target: string
  readonly params: Readonly<Record<string, string>>
}

/**
 * Parses `Link` headers (RFC 8288): several links per header and several headers, quoted parameters with commas,
 * semicolons and escapes inside, unquoted tokens, any case; malformed parts are skipped, never thrown.
 * Used by `linkHeader()`; call it to read other relations (`last`, `prev`).
 *
 * @example
 * ```ts
 * import { parseLinkHeader } from './link-header.js'
 * parseLinkHeader('<https://api.example.com/x?page=2>; rel="next", <https://api.example.com/x?page=9>; rel=last')[1]?.params.rel // 'last'
 * ```
 */
export function parseLinkHeader(header: string | readonly string[] | undefined): LinkValue[] {
  if (header === undefined) return []
  const text = typeof header === 'string' ? header : header.join(', ')
  const links: LinkValue[] = []
  let i = 0
  const n = text.length
  const skipSpace = () => {
    while (i < n && (text[i] === ' ' || text[i] === '\t')) i++
  }
  // Skips to just past the next top-level comma (outside quotes and angle brackets): recovery from a malformed link.
  const skipLink = () => {
    let quoted = false
    for (; i < n; i++) {
      const c = text[i]
      if (quoted) {
        if (c === '\\') i++
        else if (c === '"') quoted = false
      } else if (c === '"') quoted = true
      else if (c === ',') {
        i++
        return
      }
    }
  }
  while (i < n) {
    while (i < n && (text[i] === ',' || text[i] === ' ' || text[i] === '\t')) i++
    if (i >= n) break
    if (text[i] !== '<') {
      skipLink()
      continue
    }
    const close = text.indexOf('>', i + 1)
    if (close < 0) break
    const target = text.slice(i + 1, close).trim()
    i = close + 1
    const params: Record<string, string> = {}
    for (;;) {
      skipSpace()
      if (i >= n || text[i] === ',') break
      if (text[i] !== ';') {
        skipLink()
        i-- // let the outer loop see the link boundary
        break
      }
      i++
      skipSpace()
      let name = ''
      while (i < n && !'=;, \t'.includes(text[i]!)) name += text[i++]
      skipSpace()
      let value = ''
      if (text[i] === '=') {
        i++
        skipSpace()
        if (text[i] === '"') {
          i++
          while (i < n && text[i] !== '"') {
            if (text[i] === '\\' && i + 1 < n) i++
            value += text[i++]
          }
          i++ // closing quote
        } else {
          while (i < n && !';, \t'.includes(text[i]!)) value += text[i++]
        }
      }
      const key = name.toLowerCase()
      // RFC 8288 §3.3: occurrences of rel after the first are ignored; keep the first of every parameter.
      if (key !== '' && !(key in params)) params[key] = value
    }
    links.push({ target, params })
  }
  return links
}

/**
 * The target of the first link whose `rel` lists `rel` (space-separated, case-insensitive), resolved against `base`.
 * Used for `rel="next"`; undefined when there is no such link or its target is not a valid URL.
 *
 * @example
 * ```ts
 * import { findLink } from './link-header.js'
 * findLink('</orders?page=3>; rel="next last"', 'next', 'https://api.example.com/orders?page=2') // 'https://api.example.com/orders?page=3'
 * ```
 */
export function findLink(header: string | readonly string[] | undefined, rel: string, base: string): string | undefined {
  const wanted = rel.toLowerCase()
  for (const link of parseLinkHeader(header)) {
    const rels = (link.params['rel'] ?? '').toLowerCase().split(/\s+/)
    if (!rels.includes(wanted)) continue
    try {
      return new URL(link.target, base).href
    } catch {
      return undefined
    }
  }
  return undefined
}

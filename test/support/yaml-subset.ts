/**
 * A parser for the block YAML `yamlBlock` writes (there is no YAML package in the tree): two-space
 * indented mappings and `- ` sequences, `# ` comment lines, plain or JSON double-quoted scalars,
 * numbers, booleans, null, `[]` and `{}`. Anything else throws, so a change of the emitter that
 * leaves this subset fails the tests instead of parsing into something else.
 */
export function parseYamlSubset(text: string): unknown {
  const lines = text
    .split('\n')
    .map((raw, n) => ({ n: n + 1, indent: raw.length - raw.trimStart().length, text: raw.trim() }))
    .filter((l) => l.text !== '' && !l.text.startsWith('#'))
  for (const l of lines) if (/\t/.test(l.text) || l.indent % 2 !== 0) throw new Error(`line ${l.n}: not two-space indented`)
  let i = 0
  const fail = (why: string): never => {
    throw new Error(`line ${lines[i]?.n ?? 'end'}: ${why}`)
  }

  function block(indent: number): unknown {
    const line = lines[i]
    if (line === undefined || line.indent !== indent) return fail(`expected a block at indent ${indent}`)
    return line.text.startsWith('- ') || line.text === '-' ? sequence(indent) : mapping(indent)
  }

  function sequence(indent: number): unknown[] {
    const out: unknown[] = []
    while (i < lines.length && lines[i]!.indent === indent && lines[i]!.text.startsWith('- ')) {
      const content = lines[i]!.text.slice(2)
      if (keyEnd(content) !== undefined) {
        // `- key: value`: a mapping whose first entry sits after the dash.
        lines[i] = { ...lines[i]!, indent: indent + 2, text: content }
        out.push(mapping(indent + 2))
      } else {
        out.push(scalar(content))
        i++
      }
    }
    if (i < lines.length && lines[i]!.indent > indent) fail('unexpected indentation after a sequence item')
    return out
  }

  function mapping(indent: number): Record<string, unknown> {
    const out: Record<string, unknown> = {}
    while (i < lines.length && lines[i]!.indent === indent) {
      const text = lines[i]!.text
      if (text.startsWith('- ')) fail('a sequence item inside a mapping')
      const end = keyEnd(text)
      if (end === undefined) fail(`not a "key: value" line: ${text}`)
      const key = String(scalar(text.slice(0, end!)))
      if (Object.hasOwn(out, key)) fail(`duplicate key ${key}`)
      const rest = text.slice(end! + 1).trim()
      i++
      if (rest !== '') out[key] = scalar(rest)
      else if (i < lines.length && lines[i]!.indent > indent) out[key] = block(lines[i]!.indent)
      else out[key] = null
    }
    if (i < lines.length && lines[i]!.indent > indent) fail('unexpected indentation')
    return out
  }

  const value = block(0)
  if (i < lines.length) fail('content after the document')
  return value
}

/** Where the `:` ending a mapping key is, or undefined when `text` is not `key:` / `key: value`. */
function keyEnd(text: string): number | undefined {
  if (text.startsWith('"')) {
    const close = closingQuote(text)
    return text[close + 1] === ':' && (text.length === close + 2 || text[close + 2] === ' ') ? close + 1 : undefined
  }
  const match = /^[A-Za-z_][A-Za-z0-9_.\-/]*:(?: |$)/.exec(text)
  return match ? match[0].trimEnd().length - 1 : undefined
}

function closingQuote(text: string): number {
  for (let k = 1; k < text.length; k++) {
    if (text[k] === '\\') k++
    else if (text[k] === '"') return k
  }
  throw new Error(`unterminated string: ${text}`)
}

function scalar(text: string): unknown {
  if (text === '[]') return []
  if (text === '{}') return {}
  if (text === 'null' || text === '~') return null
  if (text === 'true' || text === 'false') return text === 'true'
  if (/^-?\d+(?:\.\d+)?(?:e[+-]?\d+)?$/i.test(text)) return Number(text)
  if (text.startsWith('"')) {
    if (closingQuote(text) !== text.length - 1) throw new Error(`text after a quoted string: ${text}`)
    return JSON.parse(text) as string
  }
  if (!/^[A-Za-z_][A-Za-z0-9_.\-/]*$/.test(text)) throw new Error(`a plain scalar outside the subset: ${text}`)
  return text
}

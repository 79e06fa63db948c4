/** A value the YAML emitter writes: JSON data (no `undefined` inside; keys with `undefined` values are left out). */
export type YamlValue = string | number | boolean | null | readonly YamlValue[] | { readonly [key: string]: YamlValue | undefined }

// A plain scalar only where no YAML 1.1/1.2 resolver reads it as anything but that string.
const PLAIN = /^[A-Za-z_][A-Za-z0-9_.\-/]*$/
const RESERVED = /^(?:true|false|yes|no|on|off|y|n|null|nan|inf)$/i

/**
 * Writes `value` as block-style YAML: mappings and sequences one entry a line, two-space indents,
 * strings plain when they are unambiguous identifiers and JSON double-quoted otherwise (a JSON
 * string is a valid YAML double-quoted scalar), so no escaping rule of YAML's own is needed.
 * Empty sequences and mappings are written `[]` and `{}`.
 *
 * @example
 * ```ts
 * import { yamlBlock } from './yaml-block.js'
 * yamlBlock({ version: 2, sources: [{ name: 'shop' }] }) // 'version: 2\nsources:\n  - name: shop\n'
 * ```
 */
export function yamlBlock(value: YamlValue): string {
  return lines(value, '').join('\n') + '\n'
}

function scalar(value: string | number | boolean | null): string {
  if (typeof value !== 'string') return JSON.stringify(value)
  return PLAIN.test(value) && !RESERVED.test(value) ? value : JSON.stringify(value)
}

function isScalar(value: YamlValue): value is string | number | boolean | null {
  return value === null || typeof value !== 'object'
}

function lines(value: YamlValue, indent: string): string[] {
  if (isScalar(value)) return [indent + scalar(value)]
  if (Array.isArray(value)) {
    if (value.length === 0) return [`${indent}[]`]
    return (value as readonly YamlValue[]).flatMap((item) => {
      const inner = lines(item, `${indent}  `)
      // The item's first line goes after the dash: `- name: x`, its other lines stay under it.
      return [`${indent}- ${inner[0]!.slice(indent.length + 2)}`, ...inner.slice(1)]
    })
  }
  const entries = Object.entries(value as { readonly [key: string]: YamlValue | undefined }).filter(
    (e): e is [string, YamlValue] => e[1] !== undefined,
  )
  if (entries.length === 0) return [`${indent}{}`]
  return entries.flatMap(([key, v]) => {
    const k = `${indent}${scalar(key)}:`
    if (isScalar(v)) return [`${k} ${scalar(v)}`]
    if (Array.isArray(v) ? v.length === 0 : Object.keys(v).length === 0) return [`${k} ${Array.isArray(v) ? '[]' : '{}'}`]
    return [k, ...lines(v, `${indent}  `)]
  })
}

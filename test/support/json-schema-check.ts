/** The JSON Schema keywords {@link schemaErrors} understands (a draft 2020-12 subset). */
export interface JsonSchema {
  readonly $ref?: string
  readonly $defs?: Readonly<Record<string, JsonSchema>>
  readonly type?: string | readonly string[]
  readonly properties?: Readonly<Record<string, JsonSchema>>
  readonly required?: readonly string[]
  readonly additionalProperties?: boolean | JsonSchema
  readonly items?: JsonSchema
  readonly enum?: readonly unknown[]
  readonly const?: unknown
  readonly minimum?: number
  readonly minLength?: number
  readonly minProperties?: number
  readonly maxProperties?: number
  readonly anyOf?: readonly JsonSchema[]
  readonly [other: string]: unknown
}

const KNOWN = new Set(['$schema', '$id', '$ref', '$defs', 'title', 'description', 'type', 'properties', 'required', 'additionalProperties', 'items', 'enum', 'const', 'minimum', 'minLength', 'minProperties', 'maxProperties', 'anyOf'])

/**
 * Validates `value` against `schema` and returns one message per violation (`$.sources[0].name:
 * required`), empty when valid. A keyword outside the subset throws: a schema must never pass
 * because the validator skipped what it could not read.
 */
export function schemaErrors(schema: JsonSchema, value: unknown, root: JsonSchema = schema, path = '$'): string[] {
  for (const key of Object.keys(schema)) if (!KNOWN.has(key)) throw new Error(`json-schema-check: keyword ${key} at ${path} is not supported`)
  if (schema.$ref !== undefined) {
    const name = /^#\/\$defs\/(.+)$/.exec(schema.$ref)?.[1]
    const target = name === undefined ? undefined : root.$defs?.[name]
    if (target === undefined) throw new Error(`json-schema-check: unresolved $ref ${schema.$ref}`)
    return schemaErrors(target, value, root, path)
  }
  const errors: string[] = []
  if (schema.type !== undefined) {
    const types = typeof schema.type === 'string' ? [schema.type] : schema.type
    if (!types.some((t) => hasType(value, t))) return [`${path}: expected ${types.join(' or ')}, got ${JSON.stringify(value)}`]
  }
  if (schema.const !== undefined && JSON.stringify(value) !== JSON.stringify(schema.const)) errors.push(`${path}: must be ${JSON.stringify(schema.const)}`)
  if (schema.enum !== undefined && !schema.enum.some((e) => JSON.stringify(e) === JSON.stringify(value))) errors.push(`${path}: must be one of ${schema.enum.map((e) => JSON.stringify(e)).join(', ')}, got ${JSON.stringify(value)}`)
  if (typeof value === 'number' && schema.minimum !== undefined && value < schema.minimum) errors.push(`${path}: must be ≥ ${schema.minimum}`)
  if (typeof value === 'string' && schema.minLength !== undefined && value.length < schema.minLength) errors.push(`${path}: must have at least ${schema.minLength} characters`)
  if (Array.isArray(value) && schema.items !== undefined) value.forEach((item, k) => errors.push(...schemaErrors(schema.items!, item, root, `${path}[${k}]`)))
  if (isObject(value)) {
    const keys = Object.keys(value)
    if (schema.minProperties !== undefined && keys.length < schema.minProperties) errors.push(`${path}: needs at least ${schema.minProperties} properties`)
    if (schema.maxProperties !== undefined && keys.length > schema.maxProperties) errors.push(`${path}: takes at most ${schema.maxProperties} properties`)
    for (const name of schema.required ?? []) if (!Object.hasOwn(value, name)) errors.push(`${path}.${name}: required`)
    for (const key of keys) {
      const property = schema.properties?.[key]
      if (property !== undefined) errors.push(...schemaErrors(property, value[key], root, `${path}.${key}`))
      else if (schema.additionalProperties === false) errors.push(`${path}.${key}: not a property dbt knows here`)
      else if (typeof schema.additionalProperties === 'object') errors.push(...schemaErrors(schema.additionalProperties, value[key], root, `${path}.${key}`))
    }
  }
  if (schema.anyOf !== undefined) {
    const each = schema.anyOf.map((s) => schemaErrors(s, value, root, path))
    if (!each.some((e) => e.length === 0)) errors.push(`${path}: matches none of the allowed shapes (${each.map((e) => e[0]).join('; ')})`)
  }
  return errors
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function hasType(value: unknown, type: string): boolean {
  switch (type) {
    case 'object':
      return isObject(value)
    case 'array':
      return Array.isArray(value)
    case 'string':
      return typeof value === 'string'
    case 'integer':
      return Number.isInteger(value)
    case 'number':
      return typeof value === 'number' && Number.isFinite(value)
    case 'boolean':
      return typeof value === 'boolean'
    case 'null':
      return value === null
    default:
      throw new Error(`json-schema-check: type ${type} is not supported`)
  }
}

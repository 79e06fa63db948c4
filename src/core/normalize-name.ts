import { createHash } from 'node:crypto'

/** Longest identifier in bytes: Postgres' limit, applied everywhere so every sink names alike. */
export const MAX_IDENTIFIER_BYTES = 63

/**
 * Normalises a source name to lower snake case, the same way in every sink: camelCase and
 * spaces become `_`, anything but letters and digits (any script) becomes `_`, `__` (a nested
 * path) and a leading `_` are kept, a leading digit gets a `_` prefix, and names longer than 63 bytes are cut with a short hash. The result can
 * be quoted safely; reserved words (`order`, `select`) are fine because identifiers are always quoted.
 *
 * @example
 * ```ts
 * import { normalizeName } from './normalize-name.js'
 * normalizeName('OrderID') // 'order_id'
 * normalizeName('"; drop table x; --') // 'drop_table_x'
 * ```
 */
export function normalizeName(name: string): string {
  // `__` separates nested paths (`address__city`, as dlt and `flatten` write them) and survives;
  // a leading `_` (e.g. `_sluice_parent_id`) is kept; other runs of non-alphanumerics become one `_`.
  const leading = name.startsWith('_') && /[\p{L}\p{N}]/u.test(name) ? '_' : ''
  let out = name
    .normalize('NFKC')
    .split(/__+/)
    .map(snakePart)
    .filter((part) => part !== '')
    .join('__')
  if (out === '') out = '_'
  else out = leading + out
  if (/^\p{N}/u.test(out)) out = `_${out}`
  return truncate(out, name)
}

/**
 * A table's destination name: {@link normalizeName}, and a `_` before a name SQLite reserves for
 * itself (any `sqlite_` prefix: `sqlite_master`, `sqlite_stat1`), applied in every sink so that
 * a table is named alike everywhere. Column names may start with `sqlite_`: only tables can't.
 */
export function normalizeTableName(name: string): string {
  const out = normalizeName(name)
  return out.startsWith('sqlite_') ? truncate(`_${out}`, name) : out
}

function snakePart(part: string): string {
  return part
    .replace(/([\p{Ll}\p{N}])(\p{Lu})/gu, '$1_$2')
    .replace(/(\p{Lu})(\p{Lu}\p{Ll})/gu, '$1_$2')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, '_')
    .replace(/^_+|_+$/g, '')
}

function truncate(name: string, original: string): string {
  if (Buffer.byteLength(name) <= MAX_IDENTIFIER_BYTES) return name
  const suffix = `_${createHash('sha256').update(original).digest('hex').slice(0, 8)}`
  let cut = name
  while (Buffer.byteLength(cut) > MAX_IDENTIFIER_BYTES - suffix.length) cut = cut.slice(0, -1)
  return cut + suffix
}

/** `name` if not taken, else `name_2`, `name_3`, … (cut to fit the byte limit). */
export function uniqueName(name: string, taken: ReadonlySet<string>): string {
  if (!taken.has(name)) return name
  for (let n = 2; ; n++) {
    const suffix = `_${n}`
    let base = name
    while (Buffer.byteLength(base) > MAX_IDENTIFIER_BYTES - suffix.length) base = base.slice(0, -1)
    if (!taken.has(base + suffix)) return base + suffix
  }
}

/** Quotes an identifier for SQL (`"` doubled); injection-proof for any string. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`
}

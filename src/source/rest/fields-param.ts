import type { ColumnType } from '../../core/column-type.js'
import type { IncrementalConfig } from '../../cursor/incremental-options.js'
import type { QueryValue } from '../../http/build-url.js'
import { configInvalid } from '../../core/check-option.js'
import type { Selection } from '../../contracts/selection.js'

/**
 * The query parameter through which a REST API returns only the fields asked for (`?fields=id,name,total`), so a
 * `select()` stage narrows the response itself instead of sluice dropping the columns after download.
 * Use it on a stream whose API documents such a parameter; the stream's `columns` then lists every field it can have.
 *
 * The parameter is sent only when a selection blocks one of those columns: it names the selected ones plus what the
 * sync can't do without (primary key, incremental cursor, and in a parent the fields its selected children read for
 * their path and `parentFields`), in the order `columns` declares them (columns a child copies with `parentFields`
 * are not asked for). Without a selection, or with one that
 * blocks none of them, requests are unchanged. Blocked columns the API returns anyway are still dropped.
 *
 * @example
 * ```ts
 * import type { RestStream } from 'sluice'
 * const users: RestStream = {
 *   table: 'users', path: '/users', primaryKey: ['id'],
 *   columns: { id: 'LONG', name: 'STRING', email: 'STRING' },
 *   fields: { param: 'fields' }, // select({ exclude: ['users.email'] }) sends ?fields=id,name
 * }
 * ```
 */
export interface FieldsParam {
  /** Query parameter name, e.g. 'fields' or 'select'. */
  readonly param: string
  /** Between the names. Default ','. */
  readonly separator?: string
}

/** A validated `fields` option. */
export interface ResolvedFieldsParam {
  readonly param: string
  readonly separator: string
}

/** What `fields` must not collide with, and the names it chooses from. */
interface FieldsContext {
  readonly columns: Readonly<Record<string, ColumnType>> | undefined
  readonly params: Readonly<Record<string, QueryValue>>
  /** Parameters of the paginator's first request. */
  readonly paging: readonly string[]
  readonly incremental: IncrementalConfig | undefined
}

/** Validates `streams[i].fields` (CONFIG_INVALID naming the option); undefined when it is left out. */
export function parseFieldsParam(value: unknown, where: string, ctx: FieldsContext): ResolvedFieldsParam | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw configInvalid(where, "an object such as { param: 'fields' }", value)
  for (const key of Object.keys(value)) if (key !== 'param' && key !== 'separator') throw configInvalid(`${where}.${key}`, 'one of the known options (param, separator)', key)
  const v = value as Partial<FieldsParam>
  if (typeof v.param !== 'string' || v.param.trim() === '') throw configInvalid(`${where}.param`, "the query parameter that takes the field names, e.g. 'fields'", v.param)
  const param = v.param
  if (v.separator !== undefined && (typeof v.separator !== 'string' || v.separator === '')) throw configInvalid(`${where}.separator`, "a non-empty string such as ','", v.separator)
  if (ctx.columns === undefined || Object.keys(ctx.columns).length === 0) {
    throw configInvalid(where, `used together with ${where.replace(/\.fields$/, '')}.columns, the fields the stream can have (the names a selection chooses from)`, 'no columns')
  }
  if (param in ctx.params) throw configInvalid(`${where}.param`, `not also set in ${where.replace(/\.fields$/, '')}.params (the selection sets it)`, param)
  const taken = [...ctx.paging, ...[ctx.incremental?.param, ctx.incremental?.endParam].filter((p): p is string => p !== undefined)]
  if (taken.includes(param)) throw configInvalid(`${where}.param`, `different from the paginator's and the cursor's parameters (${taken.join(', ')})`, param)
  return { param, separator: v.separator ?? ',' }
}

/** The stream as `fieldsQuery` needs it. */
interface FieldsStream {
  readonly table: string
  readonly fields: ResolvedFieldsParam | undefined
  readonly spec: { readonly columns?: Readonly<Record<string, ColumnType>> }
  readonly primaryKey: readonly string[] | undefined
  readonly incremental: IncrementalConfig | undefined
  /** Columns a child copies from its parent record: not the API's fields. */
  readonly parentFields: readonly (readonly [string, unknown])[]
}

/**
 * The `fields` parameter of one stream under `selection` (see {@link FieldsParam}): `{}` when the stream has no
 * `fields` option or nothing it declares is blocked. `emit` false means the stream's own table is blocked (it is only
 * read to drive its children); `needs` are the top-level fields its selected children read from its records.
 */
export function fieldsQuery(stream: FieldsStream, selection: Selection, emit: boolean, needs: readonly string[]): Record<string, string> {
  const fields = stream.fields
  if (!fields) return {}
  const copied = new Set(stream.parentFields.map(([column]) => column))
  const declared = Object.keys(stream.spec.columns ?? {}).filter((column) => !copied.has(column))
  const chosen = (column: string) => emit && selection.column(stream.table, column)
  if (emit && declared.every(chosen)) return {}
  const top = (path: string) => path.split('.')[0]!
  const needed = new Set([...(stream.primaryKey ?? []), ...(stream.incremental ? [top(stream.incremental.field)] : []), ...needs.map(top)])
  const names = [...declared.filter((c) => chosen(c) || needed.has(c)), ...[...needed].filter((c) => !declared.includes(c))]
  // An empty parameter would read as "all fields" to many APIs, or be refused: then ask as if unselected.
  return names.length === 0 ? {} : { [fields.param]: names.join(fields.separator) }
}

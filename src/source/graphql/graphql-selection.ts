import type { ColumnType } from '../../core/column-type.js'
import type { Json } from '../../core/message.js'
import { configInvalid } from '../../core/check-option.js'
import type { Selection } from '../../contracts/selection.js'
import { columnProjection, type ColumnProjection } from '../column-projection.js'

/** What a sync's `select()` selection changes in one `graphql` read. */
export interface GraphqlSelection {
  /** The table is blocked: nothing is queried. */
  readonly skip: boolean
  /** Drops blocked columns from nodes before they become a batch. */
  readonly project: ColumnProjection | undefined
  /** `{ [fieldsVariable]: names }` when a selection narrows the declared columns, else `{}`. */
  readonly variables: Record<string, Json>
}

/** The table as `graphqlSelection` needs it. */
export interface SelectionTarget {
  readonly table: string
  readonly primaryKey: readonly string[] | undefined
  /** Declared columns (as the nodes name them): the names a fields variable chooses from. */
  readonly columns: Readonly<Record<string, ColumnType>> | undefined
  /** Dot path of the incremental cursor: read to move the state even when blocked. */
  readonly cursor: string | undefined
  readonly fieldsVariable: string | undefined
}

/**
 * How `graphql` honours a selection: a blocked table is never queried; blocked columns are dropped from the nodes
 * (never the primary key; a blocked cursor is still read for the state, just not written); with `fieldsVariable`,
 * the selected declared columns, the key and the cursor go to the query as a list of names when the selection
 * blocks a declared column. Without a selection, nothing changes.
 */
export function graphqlSelection(target: SelectionTarget, selection: Selection | undefined): GraphqlSelection {
  if (!selection) return { skip: false, project: undefined, variables: {} }
  if (!selection.table(target.table)) return { skip: true, project: undefined, variables: {} }
  const project = columnProjection(target.table, selection, target.primaryKey)
  const declared = Object.keys(target.columns ?? {})
  if (target.fieldsVariable === undefined || declared.every((c) => selection.column(target.table, c))) return { skip: false, project, variables: {} }
  const needed = new Set([...(target.primaryKey ?? []), ...(target.cursor ? [target.cursor.split('.')[0]!] : [])])
  const names = [...declared.filter((c) => needed.has(c) || selection.column(target.table, c)), ...[...needed].filter((c) => !declared.includes(c))]
  return { skip: false, project, variables: { [target.fieldsVariable]: names } }
}

/**
 * Validates `graphql.fieldsVariable` (CONFIG_INVALID naming the option): a variable name the query declares, none of
 * the page or cursor variables nor a user variable, on a source that declares `columns`.
 */
export function checkFieldsVariable(
  value: unknown,
  ctx: { readonly columns: object | undefined; readonly declared: (name: string) => boolean; readonly reserved: readonly string[]; readonly variables: object | undefined },
): string | undefined {
  if (value === undefined) return undefined
  const what = 'graphql.fieldsVariable'
  if (typeof value !== 'string' || !/^[_A-Za-z][_0-9A-Za-z]*$/.test(value)) throw configInvalid(what, 'a GraphQL variable name without the $ (letters, digits, _)', value)
  if (!ctx.declared(value)) throw configInvalid(what, `declared in the query as $${value} (a nullable list such as [String!])`, value)
  if (ctx.reserved.includes(value)) throw configInvalid(what, `different from the page and cursor variables (${ctx.reserved.join(', ')})`, value)
  if (ctx.variables !== undefined && value in ctx.variables) throw configInvalid(`graphql.variables.${value}`, 'left out: the selection sets it', value)
  if (ctx.columns === undefined || Object.keys(ctx.columns).length === 0) throw configInvalid(what, 'used together with graphql.columns, the fields a selection chooses from', 'no columns')
  return value
}

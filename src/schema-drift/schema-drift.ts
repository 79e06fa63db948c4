import { widenType } from '../core/column-type.js'
import type { Message, SchemaMessage } from '../core/message.js'
import { SluiceError } from '../core/sluice-error.js'
import type { Stage, StageContext } from '../contracts/stage.js'
import { applyDecision, SCHEMA_DISCARDED } from './apply-decision.js'
import { decideRecords } from './drift-decision.js'
import { DRIFT_PRESETS, parseDriftOptions, type DriftMode, type DriftPolicy, type SchemaDriftOptions } from './drift-policy.js'
import { evolveTable, knownSchema, type KnownTable } from './known-schema.js'
import { matchColumn } from '../core/match-column.js'
import { keepsNames } from '../stage/keeps-names.js'

/**
 * Controls how the destination schema may change, with dlt's contract matrix and Fivetran's
 * settings as presets. For new tables, new columns and type changes choose `evolve | freeze |
 * discard_value | discard_row` (see `DriftMode`); `preset` (`allowAll` default, `allowColumns`,
 * `blockAll`) sets all three and explicit fields override it. Use it when the source's shape may
 * change under you and the warehouse must change only as you allow.
 *
 * The stage knows each table's schema (read back from the destination when the sync starts, plus
 * what the source declares), compares each batch with it, computes a pure decision, then applies
 * it: an allowed new column is announced with a `schema` message before the rows that carry it
 * (the sink runs ALTER TABLE, earlier rows read NULL); a value that does not fit its column widens
 * the column losslessly (BOOLEAN < INT < LONG < DOUBLE < STRING; DECIMAL grows its digits; a date
 * column stays a date while every value parses); values that fit the known type are converted to
 * it (0/1 and `'true'` into a BOOLEAN column). A column that only ever held NULL is not created
 * until a value arrives (declare it to have it at once); a column missing from the source is
 * never dropped. `freeze` fails the sync with `SCHEMA_FROZEN` naming table, column, types and the
 * row's key; the discards write what they drop to `_sluice_errors` (code `SCHEMA_DISCARDED`).
 * Place `hashColumns` before this stage if discarded values must not reach `_sluice_errors` raw.
 *
 * @example
 * ```ts
 * import { fromIterable, schemaDrift, sqlite, sync } from 'sluice'
 * await sync({
 *   source: fromIterable('orders', [{ id: 1, total: 5 }], { primaryKey: ['id'] }),
 *   stages: [schemaDrift({ preset: 'allowColumns', types: 'freeze' })],
 *   destination: sqlite({ path: 'warehouse.db' }),
 * })
 * ```
 */
export function schemaDrift(options?: SchemaDriftOptions): Stage {
  const policy = parseDriftOptions(options)
  return keepsNames((messages, context) => drift(messages, context, policy))
}

/** The presets as policies, e.g. `schemaDrift.presets.blockAll` → `{ tables: 'discard_row', … }`. */
schemaDrift.presets = DRIFT_PRESETS

async function* drift(messages: AsyncIterable<Message>, context: StageContext, policy: DriftPolicy): AsyncIterable<Message> {
  let known: Map<string, KnownTable> | undefined
  const discarded = new Set<string>()
  for await (const message of messages) {
    if (message.kind === 'checkpoint') {
      yield message
      continue
    }
    known ??= knownSchema(context.tables, context.describeDestination ? await context.describeDestination() : [])
    const table = message.table
    if (message.kind === 'truncate') {
      if (!discarded.has(table)) yield message
      continue
    }
    if (message.kind === 'schema') {
      const kept = decideSchema(message, known.get(table), policy)
      if (kept instanceof SluiceError) throw kept
      if (kept === undefined) {
        if (!known.has(table)) discarded.add(table)
        context.recordError({
          kind: 'schema', table, code: SCHEMA_DISCARDED,
          message: `schema change ${message.change.type} of ${table} not applied: schemaDrift does not allow it`,
          context: { change: message.change },
        })
        continue
      }
      const announcedKey = kept.change.type === 'create_table' ? (kept.change.spec.primaryKey ?? []) : []
      const base = known.get(table) ?? { table, exists: false, primaryKey: announcedKey, columns: new Map() }
      known.set(table, evolveTable(base, [kept.change]))
      yield kept
      continue
    }
    // A match delete carries no row data to decide on; it goes where its table's rows went.
    if (matchColumn(message) !== undefined) {
      if (!discarded.has(table)) yield message
      continue
    }
    const current = discarded.has(table) ? undefined : known.get(table)
    const decision = decideRecords(message, current, policy)
    if (decision.frozen) throw decision.frozen
    const primaryKey = current?.primaryKey ?? []
    const { batch, errors } = applyDecision(message, decision, primaryKey, policy.tables)
    for (const e of errors) context.recordError(e)
    if (!batch) {
      discarded.add(table)
      continue
    }
    for (const change of decision.changes) yield { kind: 'schema', table, change }
    const base = current ?? { table, exists: false, primaryKey: [], columns: new Map() }
    known.set(table, evolveTable(base, decision.changes, decision.creates ? new Map(batch.columns.map((c) => [c.name, c.type])) : undefined))
    if (batch.length === 0 && message.batch.length > 0) continue // every row discarded
    yield batch === message.batch ? message : { kind: 'records', table, op: message.op, batch }
  }
}

/**
 * A schema message a source sent, under the policy: passed on (possibly reduced to what really
 * changes), dropped (`undefined`, a discard mode), or the error of a frozen schema.
 */
function decideSchema(message: SchemaMessage, known: KnownTable | undefined, policy: DriftPolicy): SchemaMessage | SluiceError | undefined {
  const { table, change } = message
  if (!known) return gate(policy.tables, message, `table ${table} is new`, { table })
  if (change.type === 'create_table') return message
  const type = known.columns.get(change.column)
  if (change.type === 'add_column') {
    if (type !== undefined) return message
    return gate(policy.columns, message, `table ${table} would get a new column ${JSON.stringify(change.column)} (${change.columnType})`, {
      table, column: change.column, from: null, to: change.columnType,
    })
  }
  const from = type ?? change.from
  const to = widenType(from, change.to)
  if (to === from) return message
  return gate(policy.types, message, `table ${table}, column ${JSON.stringify(change.column)} would change type from ${from} to ${to}`, { table, column: change.column, from, to })
}

function gate(mode: DriftMode, message: SchemaMessage, what: string, context: Record<string, unknown>): SchemaMessage | SluiceError | undefined {
  if (mode === 'evolve') return message
  if (mode !== 'freeze') return undefined
  return new SluiceError({ code: 'SCHEMA_FROZEN', message: `schemaDrift: ${what} (a schema message from the source), and the schema is frozen for it; declare it, or allow the change`, context })
}

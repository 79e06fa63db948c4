import type { ParseResult, Schema, SchemaAST } from 'effect'
import type { Row } from '../core/batch.js'
import type { Message, RecordOp, RecordsMessage } from '../core/message.js'
import { importAsBuilt } from '../core/lazy-require.js'
import { SluiceError } from '../core/sluice-error.js'
import type { Stage, StageContext } from '../contracts/stage.js'
import { memoize2, namePattern, type NamePattern } from './name-pattern.js'
import { matchColumn } from '../core/match-column.js'
import { keepsNames } from './keeps-names.js'
import { knownOptions } from '../core/check-option.js'
import { UnmatchedNames, type WantedName } from './unmatched-names.js'

/** A record contract: an `effect/Schema` that decodes one row (no context requirements). */
export type RecordContract = Schema.Schema<any, any, never>

/** Options of {@link validate}. */
export interface ValidateOptions {
  /** `fail`: the first failing row fails the sync (`VALIDATION_FAILED`); `skip`: failing rows go to `_sluice_errors`. */
  readonly onError: 'fail' | 'skip'
  /** With a single contract: the tables it applies to (names or globs; default every table). */
  readonly tables?: readonly string[]
  /** Which ops are checked (default `['upsert']`: updates and deletes carry only some columns). */
  readonly ops?: readonly RecordOp[]
}

/**
 * Checks rows against record contracts written with `effect/Schema` (effect 3: `import { Schema }
 * from 'effect'`), before they are written. Rows are decoded as user code sees them (`valueAt`:
 * numbers, booleans, ISO text for dates, bigint for LONG beyond 2^53, parsed JSON); extra columns
 * are allowed. A failing row either fails the sync with `VALIDATION_FAILED` naming the table, the
 * batch row and its key (`onError: 'fail'`), or is left out and written to `_sluice_errors` with
 * the decode error (`onError: 'skip'`). Rows are checked, not converted: use `transform` to change
 * values. Give one contract (optionally limited with `tables`) or one per table.
 *
 * @example
 * ```ts
 * import { Schema } from 'effect'
 * import { fromIterable, memory, sync, validate } from 'sluice'
 * const Order = Schema.Struct({ id: Schema.Number, total: Schema.Number.pipe(Schema.nonNegative()) })
 * await sync({
 *   source: fromIterable('orders', [{ id: 1, total: 5 }], { primaryKey: ['id'] }),
 *   stages: [validate({ orders: Order }, { onError: 'skip' })],
 *   destination: memory(),
 * })
 * ```
 */
export function validate(contracts: RecordContract | Readonly<Record<string, RecordContract>>, options: ValidateOptions): Stage {
  knownOptions(options, { onError: true, tables: true, ops: true }, 'validate')
  if (typeof options !== 'object' || options === null || (options.onError !== 'fail' && options.onError !== 'skip')) {
    throw new SluiceError({ code: 'CONFIG_INVALID', message: `validate(contract, { onError }) needs onError 'fail' or 'skip', got ${JSON.stringify((options as { onError?: unknown } | null)?.onError)}` })
  }
  const ops = new Set<RecordOp>(options.ops ?? ['upsert'])
  for (const op of ops) {
    if (op !== 'upsert' && op !== 'update' && op !== 'delete') {
      throw new SluiceError({ code: 'CONFIG_INVALID', message: `validate.ops may hold upsert, update, delete; got ${JSON.stringify(op)}` })
    }
  }
  const entries = contractEntries(contracts, options.tables)
  const checkers = lazyCheckers(entries)
  const contractOf = memoize2((table) => entries.some(([p]) => p.matches(table)))
  // The names the contracts expect are read from their ASTs when a sync starts (effect loads then, not with sluice).
  let wanted: Promise<WantedName[]> | undefined
  return keepsNames((messages, context) => {
    const names = async () => new UnmatchedNames(await (wanted ??= wantedNames(entries, ops.has('upsert'))), context, { blockedIsFound: true })
    return validateMessages(messages, context, options.onError, (m) => (ops.has(m.op) && contractOf(m.table, '') ? checkers(m.table) : undefined), names)
  })
}

/** What is wrong with a row (`undefined`: it keeps its contract). */
type Check = (row: unknown) => { text: string; issues: string[] } | undefined

/**
 * The check of each table's contract, built when the first row is checked: effect is loaded then,
 * not with `sluice` (loading it cost a serverless cold start 0.6–1.2 s, README, cold-start). The
 * contracts' own effect is already loaded by then, so this import costs nothing in ESM.
 */
function lazyCheckers(entries: readonly [NamePattern, RecordContract][]): (table: string) => Promise<Check> {
  let checks: Promise<(readonly [NamePattern, Check])[]> | undefined
  const load = async () => {
    const [schema, parseResult] = await Promise.all([importAsBuilt<typeof Schema>('effect/Schema'), importAsBuilt<typeof ParseResult>('effect/ParseResult')])
    return entries.map(([pattern, contract]) => {
      const decode = schema.decodeUnknownEither(contract, { errors: 'all', onExcessProperty: 'ignore' })
      const check: Check = (row) => {
        const result = decode(row)
        return result._tag === 'Right' ? undefined : describe(parseResult, result.left)
      }
      return [pattern, check] as const
    })
  }
  return async (table) => (await (checks ??= load())).find(([p]) => p.matches(table))![1]
}

/**
 * The tables the contracts name, then the fields of struct contracts (required and optional) as
 * columns of those tables. Fields are checked only when upserts are (they carry whole rows), and
 * only for contracts that decode an object with known fields (`Schema.Struct`, `Schema.Class`, a
 * filtered struct); unions and records are not checked.
 */
async function wantedNames(entries: readonly (readonly [NamePattern, RecordContract])[], upserts: boolean): Promise<WantedName[]> {
  const tables = entries.map(([table]): WantedName => ({ label: `validate: the contract of ${JSON.stringify(table.text)}`, table, consequence: 'it would check nothing' }))
  if (!upserts) return tables
  const ast = await importAsBuilt<typeof SchemaAST>('effect/SchemaAST')
  const fields = entries.flatMap(([table, schema]) => {
    const encoded = ast.encodedAST(schema.ast)
    if (!ast.isTypeLiteral(encoded)) return []
    return encoded.propertySignatures.flatMap((p): WantedName[] => {
      if (typeof p.name !== 'string') return []
      const field = p.name
      return [{
        label: `validate: field ${JSON.stringify(field)} of the contract of ${JSON.stringify(table.text)}`,
        // The tables this contract applies to: the first whose name matches wins (see decoderOf).
        table: { text: table.text, matches: (name) => entries.find(([t]) => t.matches(name))?.[0] === table },
        // Rows are decoded by their exact column names.
        column: { text: field, matches: (name) => name === field },
        optional: p.isOptional,
        everyTable: true,
        consequence: p.isOptional ? 'the field is never checked' : 'every row would fail the contract',
      }]
    })
  })
  return [...tables, ...fields]
}

function contractEntries(contracts: unknown, tables: readonly string[] | undefined): [NamePattern, RecordContract][] {
  if (isSchema(contracts)) {
    const patterns = (tables ?? ['*']).map((t, i) => namePattern(t, `validate.tables[${i}]`))
    return patterns.map((p) => [p, contracts as RecordContract])
  }
  if (tables !== undefined) {
    throw new SluiceError({ code: 'CONFIG_INVALID', message: 'validate: `tables` applies to a single contract; with one contract per table, the keys already name the tables' })
  }
  if (typeof contracts !== 'object' || contracts === null || Object.keys(contracts).length === 0) {
    throw new SluiceError({ code: 'CONFIG_INVALID', message: 'validate(contract) needs an effect Schema, or an object of table name → Schema' })
  }
  return Object.entries(contracts).map(([table, schema]) => {
    if (!isSchema(schema)) {
      throw new SluiceError({ code: 'CONFIG_INVALID', message: `validate: the contract of table ${JSON.stringify(table)} must be an effect Schema (import { Schema } from 'effect')` })
    }
    return [namePattern(table, `validate[${JSON.stringify(table)}]`), schema as RecordContract]
  })
}

const SCHEMA_TYPE_ID = Symbol.for('effect/Schema')

/** effect's `Schema.isSchema`, without loading effect: a schema carries an object under `Symbol.for('effect/Schema')`. */
function isSchema(value: unknown): value is RecordContract {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null || !(SCHEMA_TYPE_ID in value)) return false
  const variance = (value as { [SCHEMA_TYPE_ID]: unknown })[SCHEMA_TYPE_ID]
  return (typeof variance === 'object' && variance !== null) || typeof variance === 'function'
}

async function* validateMessages(
  messages: AsyncIterable<Message>,
  context: StageContext,
  onError: 'fail' | 'skip',
  checkerFor: (m: RecordsMessage) => Promise<Check> | undefined,
  names: () => Promise<UnmatchedNames>,
): AsyncIterable<Message> {
  const seen = await names()
  const keys = new Map(context.tables.map((t) => [t.table, t.primaryKey ?? []]))
  for await (const message of messages) {
    const checking = seen.see(message)
    if (checking) await checking
    const checker = message.kind === 'records' && matchColumn(message) === undefined ? checkerFor(message) : undefined
    if (!checker || message.kind !== 'records') {
      yield message
      continue
    }
    const check = await checker
    const rows = message.batch.toRows()
    let keep: Uint8Array | undefined
    for (let i = 0; i < rows.length; i++) {
      const failure = check(rows[i])
      if (!failure) continue
      const key = keyOf(rows[i]!, keys.get(message.table) ?? [])
      if (onError === 'fail') {
        throw new SluiceError({
          code: 'VALIDATION_FAILED',
          message: `validate: table ${message.table}, batch row ${i}${key ? ` (key ${JSON.stringify(key)})` : ''} breaks its contract: ${failure.text}`,
          context: { table: message.table, row: i, ...(key ? { key } : {}), issues: failure.issues },
        })
      }
      keep ??= new Uint8Array(rows.length).fill(1)
      keep[i] = 0
      context.recordError({
        kind: 'record', table: message.table, code: 'VALIDATION_FAILED', message: failure.text,
        context: { row: i, issues: failure.issues }, record: rows[i]!,
      })
    }
    if (!keep) yield message
    else {
      const batch = message.batch.filter(keep)
      if (batch.length > 0) yield { kind: 'records', table: message.table, op: message.op, batch }
    }
  }
  await seen.end()
}

function describe(parseResult: typeof ParseResult, error: ParseResult.ParseError): { text: string; issues: string[] } {
  const issues = parseResult.ArrayFormatter.formatErrorSync(error).map((i) => `${i.path.length ? i.path.join('.') : '(row)'}: ${i.message}`)
  return { text: issues.join('; '), issues }
}

function keyOf(row: Row, primaryKey: readonly string[]): Record<string, unknown> | undefined {
  if (primaryKey.length === 0) return undefined
  return Object.fromEntries(primaryKey.map((k) => [k, typeof row[k] === 'bigint' ? String(row[k]) : row[k]]))
}

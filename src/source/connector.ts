import type { Message, State } from '../core/message.js'
import { SluiceError } from '../core/sluice-error.js'
import { parseTableSpecs, type TableSpec, type TableSpecInput } from '../core/table-spec.js'
import { RowsMessage } from './op.js'
import type { CheckResult } from '../contracts/check.js'
import type { Configuration, Source } from '../contracts/source.js'
import { knownOptions } from '../core/check-option.js'

/** A Fivetran-style custom connector: an id, the tables it writes, and an `update` generator. */
export interface ConnectorDefinition {
  readonly id: string
  /** The tables, keys and types; when given, an op on any other table is an error. */
  readonly schema?: (configuration: Configuration) => readonly TableSpecInput[] | Promise<readonly TableSpecInput[]>
  /** Configuration keys that must be present (checked before `update` runs). */
  readonly required?: readonly string[]
  /** Yields `op.*` messages from the saved state (`{}` on a first sync). */
  readonly update: (configuration: Configuration, state: State) => AsyncIterable<Message> | Iterable<Message>
  /**
   * Tests the connection before a sync (`sluice check`; Fivetran's `Test`): make one cheap authenticated
   * request and say what failed in words. Runs after the `required` keys are found present.
   */
  readonly check?: (configuration: Configuration, signal: AbortSignal) => Promise<readonly CheckResult[]>
}

/**
 * Defines a connector the way Fivetran's Connector SDK does, as a plain source: `schema`
 * declares tables, `update` yields `op.upsert | op.update | op.delete | op.truncate |
 * op.checkpoint`. Declared column types are applied to the rows; an op on an undeclared
 * table fails with `TABLE_UNDECLARED`.
 *
 * @example
 * ```ts
 * import { connector, op } from 'sluice'
 * export default connector({
 *   id: 'hello',
 *   schema: () => [{ table: 'greetings', primaryKey: ['id'] }],
 *   async *update(_configuration, state) {
 *     const next = typeof state.next === 'number' ? state.next : 1
 *     yield op.upsert('greetings', { id: next, text: 'hello' })
 *     yield op.checkpoint({ next: next + 1 })
 *   },
 * })
 * ```
 */
export function connector(definition: ConnectorDefinition): Source {
  knownOptions(definition, { id: true, schema: true, required: true, update: true, check: true }, 'connector')
  if (typeof definition?.id !== 'string' || definition.id.trim() === '') {
    throw new SluiceError({ code: 'CONFIG_INVALID', message: 'connector({ id }) needs a non-empty string id' })
  }
  if (definition.check !== undefined && typeof definition.check !== 'function') {
    throw new SluiceError({ code: 'CONFIG_INVALID', message: `connector ${definition.id}: \`check\` must be a function (configuration, signal) => check results`, context: { option: 'connector.check' } })
  }
  if (typeof definition.update !== 'function') {
    throw new SluiceError({ code: 'CONFIG_INVALID', message: `connector ${definition.id}: \`update\` must be a function (configuration, state) => messages` })
  }
  const declared = async (configuration: Configuration): Promise<TableSpec[]> =>
    definition.schema ? parseTableSpecs(await definition.schema(configuration), `connector ${definition.id} schema()`) : []

  return {
    id: definition.id,
    tables: ({ configuration }) => declared(configuration),
    async check({ configuration, signal }) {
      const required = definition.required ?? []
      const missing = required.filter((key) => typeof configuration[key] !== 'string' || configuration[key] === '')
      const results: CheckResult[] = []
      if (missing.length > 0) {
        const keys = missing.map((key) => `\`${key}\``).join(', ')
        return [{ name: 'configuration', ok: false, message: `missing ${keys} in configuration.json`, hint: `add ${keys} to configuration.json`, code: 'CONFIGURATION_KEY' }]
      }
      if (required.length > 0) results.push({ name: 'configuration', ok: true, message: `${required.map((key) => `\`${key}\``).join(', ')} present` })
      if (definition.check) results.push(...(await definition.check(configuration, signal)))
      else results.push({ name: `connector ${definition.id}`, ok: true, skipped: true, message: 'not checked: the connector defines no check()' })
      return results
    },
    async *read({ state, configuration, signal }) {
      checkConfiguration(configuration, definition.required ?? [])
      const specs = await declared(configuration)
      const byName = new Map(specs.map((s) => [s.table, s]))
      for await (const message of definition.update(configuration, state ?? {})) {
        if (signal.aborted) return
        if (message.kind === 'checkpoint' || byName.size === 0) {
          yield message
          continue
        }
        const spec = byName.get(message.table)
        if (!spec) {
          throw new SluiceError({
            code: 'TABLE_UNDECLARED',
            message: `connector ${definition.id} wrote to table ${JSON.stringify(message.table)}, which schema() does not declare; add it to schema() (declared: ${[...byName.keys()].join(', ')})`,
            context: { table: message.table },
          })
        }
        yield message instanceof RowsMessage && spec.columns ? message.withTypes(spec.columns) : message
      }
    },
  }
}

/**
 * A positive integer from a configuration key (all values in `configuration.json` are strings),
 * `fallback` when the key is absent. Throws `CONFIGURATION_KEY` naming the key and the text it holds.
 *
 * @example
 * ```ts
 * import { configurationInteger } from 'sluice'
 * configurationInteger({ page_size: '50' }, 'page_size', 100) // 50
 * configurationInteger({}, 'page_size', 100) // 100
 * ```
 */
export function configurationInteger(configuration: Readonly<Record<string, string | undefined>>, key: string, fallback: number): number {
  const text = configuration[key]
  if (text === undefined) return fallback
  const value = Number(text)
  if (text.trim() === '' || !Number.isInteger(value) || value < 1) {
    throw new SluiceError({ code: 'CONFIGURATION_KEY', message: `configuration key ${JSON.stringify(key)} must be a positive integer, got ${JSON.stringify(text)}`, context: { key } })
  }
  return value
}

/**
 * Checks a configuration: every value a string (as in `configuration.json`), every required key
 * present. Throws `CONFIGURATION_KEY` naming the key.
 */
export function checkConfiguration(configuration: unknown, required: readonly string[]): asserts configuration is Configuration {
  if (typeof configuration !== 'object' || configuration === null || Array.isArray(configuration)) {
    throw new SluiceError({ code: 'CONFIGURATION_KEY', message: 'configuration must be a JSON object of string values' })
  }
  for (const [key, value] of Object.entries(configuration)) {
    if (typeof value !== 'string') {
      throw new SluiceError({
        code: 'CONFIGURATION_KEY',
        message: `configuration key ${JSON.stringify(key)} must be a string, got ${value === null ? 'null' : typeof value}; write it as "${key}": "${typeof value === 'object' ? '…' : String(value)}"`,
        context: { key },
      })
    }
  }
  for (const key of required) {
    if (!(key in configuration)) {
      throw new SluiceError({ code: 'CONFIGURATION_KEY', message: `configuration is missing the key ${JSON.stringify(key)}; add it to configuration.json`, context: { key } })
    }
  }
}

import { SluiceError } from '../core/sluice-error.js'

/**
 * What schema drift does with a change (dlt's contract modes): `evolve` applies it; `freeze`
 * fails the sync with `SCHEMA_FROZEN`; `discard_value` writes the row without the offending
 * value (NULL); `discard_row` drops the row. Both discards record what they dropped in
 * `_sluice_errors`. For new tables both discards drop the table's rows.
 */
export type DriftMode = 'evolve' | 'freeze' | 'discard_value' | 'discard_row'

/** Fivetran's schema-change settings, as presets of the three modes. */
export type DriftPreset = 'allowAll' | 'allowColumns' | 'blockAll'

/** The resolved contract: one mode per kind of change. */
export interface DriftPolicy {
  /** A table neither in the destination nor declared by the source. */
  readonly tables: DriftMode
  /** A column an existing table lacks. */
  readonly columns: DriftMode
  /** A value that does not fit its column's type. */
  readonly types: DriftMode
}

/**
 * The presets. Type changes always evolve, as Fivetran always widens existing columns:
 * - `allowAll`: new tables and columns are created.
 * - `allowColumns`: new columns are created; new tables are not synced (`discard_row`).
 * - `blockAll`: neither new tables nor new columns are synced (`discard_row` / `discard_value`).
 */
export const DRIFT_PRESETS: Readonly<Record<DriftPreset, DriftPolicy>> = {
  allowAll: { tables: 'evolve', columns: 'evolve', types: 'evolve' },
  allowColumns: { tables: 'discard_row', columns: 'evolve', types: 'evolve' },
  blockAll: { tables: 'discard_row', columns: 'discard_value', types: 'evolve' },
}

const MODES: readonly DriftMode[] = ['evolve', 'freeze', 'discard_value', 'discard_row']

/** Options of `schemaDrift`: a preset (default `allowAll`) and per-entity modes that override it. */
export interface SchemaDriftOptions {
  readonly preset?: DriftPreset
  readonly tables?: DriftMode
  readonly columns?: DriftMode
  readonly types?: DriftMode
}

/** Validates options into a policy; throws `CONFIG_INVALID` naming the option and the bad value. */
export function parseDriftOptions(options: SchemaDriftOptions | undefined): DriftPolicy {
  if (options !== undefined && (typeof options !== 'object' || options === null || Array.isArray(options))) {
    throw new SluiceError({ code: 'CONFIG_INVALID', message: `schemaDrift(options) takes { preset?, tables?, columns?, types? }, got ${JSON.stringify(options)}` })
  }
  const o = options ?? {}
  for (const key of Object.keys(o)) {
    if (!['preset', 'tables', 'columns', 'types'].includes(key)) {
      throw new SluiceError({ code: 'CONFIG_INVALID', message: `schemaDrift: unknown option ${JSON.stringify(key)}; use preset, tables, columns or types`, context: { option: key } })
    }
  }
  const presetName = o.preset ?? 'allowAll'
  const preset = Object.hasOwn(DRIFT_PRESETS, presetName) ? DRIFT_PRESETS[presetName] : undefined
  if (!preset) {
    throw new SluiceError({
      code: 'CONFIG_INVALID',
      message: `schemaDrift.preset must be one of ${Object.keys(DRIFT_PRESETS).join(', ')}, got ${JSON.stringify(presetName)}`,
      context: { option: 'preset' },
    })
  }
  const mode = (key: keyof DriftPolicy): DriftMode => {
    const value = o[key] ?? preset[key]
    if (!MODES.includes(value)) {
      throw new SluiceError({
        code: 'CONFIG_INVALID',
        message: `schemaDrift.${key} must be one of ${MODES.join(', ')}, got ${JSON.stringify(value)}`,
        context: { option: key },
      })
    }
    return value
  }
  return { tables: mode('tables'), columns: mode('columns'), types: mode('types') }
}

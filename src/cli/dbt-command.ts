import { mkdir, writeFile } from 'node:fs/promises'
import { join, relative, resolve } from 'node:path'
import type { Sink } from '../contracts/sink.js'
import type { ScheduleSpec } from '../schedule/schedule.js'
import { dbtFreshness } from '../dbt/dbt-freshness.js'
import { dbtProject, type DbtDialect } from '../dbt/dbt-project.js'
import type { CliIo } from './cli-io.js'
import { parseArgs, usage } from './parse-args.js'
import { locateWarehouse, noWarehouse } from './warehouse-location.js'
import { warehouseSink } from './warehouse-sink.js'

/** Help for `sluice dbt`. */
export const DBT_HELP = `Usage: sluice dbt [dir | --warehouse file | --postgres url [--schema s]] --out folder
                 [--schedule 15m | --schedule "0 */6 * * *"] [--source name]

Writes the dbt side of a warehouse into --out (e.g. my_dbt_project/models/sluice):
  sources.yml                 one source per connector, one table per destination table, columns with
                              their types and descriptions, unique + not_null tests on the key, and
                              freshness on _sluice_synced (dbt 1.10 or later)
  stg_<source>__<table>.sql   one staging model per table: the live rows (soft-deleted rows and sluice's
                              system columns left out; a history table's current versions)
--schedule is how often the connectors sync (a duration, or a cron expression in UTC): dbt warns when
the newest row is older than 2 intervals and fails after 4. Without it: warn after 12 h, fail after 24 h.
--source names the source of tables no connector is recorded for (default sluice).
Reads dir/files/warehouse.db (dir: the connector folder, default the current directory), or with
--warehouse any SQLite or DuckDB file a sync wrote, or with --postgres a Postgres destination's
schema (default public). Reads the warehouse only; overwrites the files it writes in --out.
`

/**
 * `sluice dbt`: generates `sources.yml` and the staging models of a warehouse (see
 * {@link dbtProject}) and writes them into `--out`, one line per file written. Resolves to the
 * exit code: 0, or 1 when there is no warehouse or no table yet (then nothing is written).
 *
 * @example
 * ```ts
 * import { dbtCommand } from './dbt-command.js'
 * import { processIo } from './cli-io.js'
 * process.exitCode = await dbtCommand(['my_connector', '--out', 'analytics/models/sluice'], processIo())
 * ```
 */
export async function dbtCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv, { command: 'dbt', values: ['warehouse', 'postgres', 'schema', 'out', 'schedule', 'source'], maxPositionals: 1 })
  const { warehouse, postgres, schema, out, schedule, source } = args.values
  if (out === undefined) throw usage('dbt', '--out is required: the folder of the models, e.g. my_dbt_project/models/sluice')
  const dir = args.positionals[0]
  if ([warehouse, postgres, dir].filter((w) => w !== undefined).length > 1) {
    throw usage('dbt', 'give one of a connector folder, --warehouse file or --postgres url')
  }
  if (schema !== undefined && postgres === undefined) throw usage('dbt', '--schema goes with --postgres (SQLite and DuckDB warehouses use main)')
  // Checked before any warehouse is opened, and named as the user wrote it.
  const spec = schedule === undefined ? undefined : scheduleOf(schedule)
  dbtFreshness(spec, '--schedule')

  let destination: Sink
  let dialect: DbtDialect
  if (postgres !== undefined) {
    const { postgres: postgresSink } = await import('../sink/postgres/postgres-sink.js')
    destination = postgresSink({ connection: postgres, ...(schema === undefined ? {} : { schema }) })
    dialect = 'postgres'
  } else {
    const located = locateWarehouse(warehouse === undefined ? resolve(io.cwd, dir ?? '.') : { warehouse: resolve(io.cwd, warehouse), label: warehouse })
    if (!located.exists) {
      io.err(`${noWarehouse(located, io.cwd)}\n`)
      return 1
    }
    destination = await warehouseSink(located.path, located.format)
    dialect = located.format
  }
  const files = await dbtProject({
    destination,
    dialect,
    ...(schema === undefined ? {} : { schema }),
    ...(spec === undefined ? {} : { schedule: spec }),
    ...(source === undefined ? {} : { source }),
  })
  if (files.length === 1) {
    // Only sources.yml: an empty sources list is valid dbt, but here it means a wrong place or no sync yet.
    io.err(`No tables in ${postgres !== undefined ? `schema ${schema ?? 'public'}` : 'the warehouse'} yet; run a sync first${postgres !== undefined ? ' (or check --schema)' : ''}. Nothing written.\n`)
    return 1
  }
  const folder = resolve(io.cwd, out)
  await mkdir(folder, { recursive: true })
  for (const file of files) {
    const path = join(folder, file.path)
    await writeFile(path, file.content)
    io.out(`wrote ${relative(io.cwd, path) || path}\n`)
  }
  const models = files.length - 1
  io.out(`${models} staging model${models === 1 ? '' : 's'} and sources.yml in ${relative(io.cwd, folder) || '.'}\n`)
  return 0
}

/** `15m` is an interval; anything with a space is a cron expression (UTC). */
function scheduleOf(value: string): ScheduleSpec {
  return /\s/.test(value.trim()) ? { cron: value.trim() } : { every: value }
}

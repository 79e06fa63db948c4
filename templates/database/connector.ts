// A sluice connector over a PostgreSQL database: `postgresSource()` reads the tables listed in
// configuration.json by keyset pages, incrementally on a cursor column where one is given, with
// columns, types and primary keys taken from the catalog. Run it with `npx sluice debug`
// (see README.md).
//
// For MySQL or MariaDB, import `mysqlSource` from 'sluice/mysql' instead: it takes the same
// `{ connection, tables }` options (with a `mysql://` URL).
import { configuredSource, configurationInteger, checkConfiguration, SluiceError, type Configuration, type Source } from 'sluice'
import { postgresSource, type DatabaseTable } from 'sluice/postgres'

/** Keys configuration.json must hold (all values are strings). */
const REQUIRED = ['connection_url', 'tables']

/**
 * `tables` as configuration.json writes it: comma-separated entries, `table` (read in full each
 * sync, rows gone from the source soft-deleted) or `table:cursor_column` (read incrementally).
 */
function parseTables(text: string): (string | DatabaseTable)[] {
  const entries = text.split(',').map((entry) => entry.trim())
  if (entries.some((entry) => entry === '' || entry.split(':').some((part) => part.trim() === '') || entry.split(':').length > 2)) {
    throw new SluiceError({
      code: 'CONFIGURATION_KEY',
      message: `configuration key "tables" must list tables as "orders:updated_at, countries" (table or table:cursor_column, comma-separated), got "${text}"`,
      context: { key: 'tables' },
    })
  }
  return entries.map((entry) => {
    const [table, cursor] = entry.split(':').map((part) => part.trim())
    return cursor === undefined ? table! : { table: table!, cursor }
  })
}

/** The Postgres source for one configuration: built when a sync starts, since the URL lives in configuration.json. */
function database(configuration: Configuration): Source {
  checkConfiguration(configuration, REQUIRED)
  const batchSize = configurationInteger(configuration, 'batch_size', 10_000)
  return postgresSource({
    // It may hold a password: sluice keeps it out of logs, errors and the saved state.
    connection: configuration.connection_url!,
    schema: configuration.schema || 'public',
    tables: parseTables(configuration.tables!),
    batchSize,
  })
}

// One source per configuration object: a sync asks for the tables, then reads, with the same one
// Built from configuration.json when a sync starts; `id` keys the saved state and the sync history.
export default configuredSource('__CONNECTOR_ID__', database)

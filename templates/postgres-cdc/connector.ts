// A sluice connector that captures changes from a PostgreSQL database: `postgresSource()` with
// `replication: 'logical'` copies each table listed in configuration.json once (from the snapshot
// of a replication slot it creates), then reads inserts, updates, deletes and truncates from the
// slot's logical decoding stream — no cursor column needed, hard deletes arrive as soft deletes.
// Run it with `npx sluice debug` (see README.md for the server settings and grants it needs).
import { configuredSource, configurationInteger, checkConfiguration, SluiceError, type Configuration, type Source } from 'sluice'
import { postgresSource } from 'sluice/postgres'

/** Keys configuration.json must hold (all values are strings). */
const REQUIRED = ['connection_url', 'tables']

/** `tables` as configuration.json writes it: comma-separated table names (no cursor: the slot says what changed). */
function parseTables(text: string): string[] {
  const tables = text.split(',').map((entry) => entry.trim())
  if (tables.some((table) => table === '' || table.includes(':'))) {
    throw new SluiceError({
      code: 'CONFIGURATION_KEY',
      message: `configuration key "tables" must list table names as "orders, customers" (comma-separated, no cursor column: changes come from the replication slot), got "${text}"`,
      context: { key: 'tables' },
    })
  }
  return tables
}

/** The Postgres change-data-capture source for one configuration: built when a sync starts, since the URL lives in configuration.json. */
function database(configuration: Configuration): Source {
  checkConfiguration(configuration, REQUIRED)
  return postgresSource({
    id: '__CONNECTOR_ID__',
    // It may hold a password: sluice keeps it out of logs, errors and the saved state.
    connection: configuration.connection_url!,
    schema: configuration.schema || 'public',
    tables: parseTables(configuration.tables!),
    batchSize: configurationInteger(configuration, 'batch_size', 10_000),
    // Bounded (the default): each sync reads up to the server's position when it started, then stops.
    // The slot (default sluice___CONNECTOR_ID__) and its publication are created on the first sync.
    replication: configuration.slot ? { slot: configuration.slot } : 'logical',
  })
}

// Built from configuration.json when a sync starts; `id` keys the saved state and the sync history.
export default configuredSource('__CONNECTOR_ID__', database)

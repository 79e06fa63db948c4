// A sluice connector over files: `fileSource()` reads the CSV, TSV, NDJSON, JSON and Parquet
// files under a folder or a glob, oldest first, and remembers the last one read, so a second run
// reads only files added or changed since. Run it with `npx sluice debug` (see README.md).
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { configuredSource, configurationInteger, type Configuration, type Source } from 'sluice'
import { fileSource } from 'sluice/files'

/** This folder: a relative `path` in configuration.json is relative to it, wherever `sluice debug` runs. */
const HERE = fileURLToPath(new URL('.', import.meta.url))

/** A comma-separated configuration value as a list; `undefined` when left out or empty. */
function list(configuration: Configuration, key: string): string[] | undefined {
  const items = (configuration[key] ?? '').split(',').map((item) => item.trim()).filter(Boolean)
  return items.length > 0 ? items : undefined
}

/** The file source for one configuration: built when a sync starts, since the path lives in configuration.json. */
function files(configuration: Configuration): Source {
  const batchSize = configurationInteger(configuration, 'batch_size', 10_000)
  const primaryKey = list(configuration, 'primary_key')
  return fileSource({
    // A folder (read recursively), one file, or a glob such as `exports/**/*.csv`.
    path: resolve(HERE, configuration.path || 'data'),
    // One table for every file; left out, each file goes to the table named after it.
    ...(configuration.table ? { table: configuration.table } : {}),
    // With a key, a file read again (it changed) or a row repeated in a later file updates the row.
    ...(primaryKey ? { primaryKey } : {}),
    batchSize,
  })
}

// Built from configuration.json when a sync starts; `id` keys the saved state and the sync history.
export default configuredSource('__CONNECTOR_ID__', files)

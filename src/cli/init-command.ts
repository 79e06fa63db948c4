import { existsSync, readdirSync, statSync } from 'node:fs'
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises'
import { basename, join, relative, resolve } from 'node:path'
import { SluiceError } from '../core/sluice-error.js'
import type { CliIo } from './cli-io.js'
import { packageInfo } from './package-root.js'
import { parseArgs, usage } from './parse-args.js'

/** Help for `sluice init`. */
export const INIT_HELP = `Usage: sluice init <name> [--template basic|rest|graphql|database|postgres-cdc|files]

Creates the folder <name> with a working connector: connector.ts, configuration.json
(string values) and README.md (what each configuration key means). Then run
\`npx sluice debug <name>\`. The name (the folder's, a path may lead to it) is letters,
digits, _ and -, starting with a letter.

Templates:
  basic      connector({ schema, update }) over generated data (the default; runs anywhere)
  rest       rest(): a paginated, incremental REST endpoint (base_url, token)
  graphql    graphql(): a Relay connection read incrementally (endpoint, token)
  database   postgresSource() from sluice/postgres (connection_url, tables); MySQL in README
  postgres-cdc  postgresSource({ replication: 'logical' }): change data capture from a slot
  files      fileSource() from sluice/files: CSV, NDJSON, JSON, Parquet files (path)
`

/** Template files whose name npm would mangle on publish are stored under another name. */
const RENAMES: Readonly<Record<string, string>> = { _gitignore: '.gitignore' }

/** The templates shipped with this package (folders under `templates/`). */
export function availableTemplates(root = join(packageInfo().root, 'templates')): string[] {
  if (!existsSync(root)) return []
  return readdirSync(root)
    .filter((name) => statSync(join(root, name)).isDirectory())
    .sort()
}

/**
 * `sluice init <name> [--template basic|rest|graphql|database|postgres-cdc|files]`: scaffolds a connector folder from `templates/<template>`,
 * filling in the connector id (lower snake case of the folder name), the folder name and the
 * sluice version. Refuses to write into a non-empty folder. Resolves to the exit code.
 *
 * @example
 * ```ts
 * import { initCommand } from './init-command.js'
 * import { processIo } from './cli-io.js'
 * process.exitCode = await initCommand(['my_connector'], processIo())
 * ```
 */
export async function initCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv, { command: 'init', values: ['template'], maxPositionals: 1 })
  if (args.flags.has('help')) {
    io.out(INIT_HELP)
    return 0
  }
  const name = args.positionals[0]
  if (!name) throw usage('init', 'missing the connector name: sluice init <name>')
  const template = args.values.template ?? 'basic'
  const templates = availableTemplates()
  if (!templates.includes(template)) {
    throw new SluiceError({
      code: 'TEMPLATE_UNKNOWN',
      message: `unknown template ${JSON.stringify(template)}; available: ${templates.join(', ') || '(none)'}`,
      context: { template },
    })
  }
  const target = resolve(io.cwd, name)
  checkConnectorName(basename(target))
  if (existsSync(target) && (!statSync(target).isDirectory() || readdirSync(target).length > 0)) {
    throw new SluiceError({ code: 'INIT_EXISTS', message: `${target} already exists and is not an empty folder; choose another name`, context: { path: target } })
  }
  const folder = basename(target)
  const values: Record<string, string> = {
    __CONNECTOR_ID__: connectorId(folder),
    __NAME__: folder,
    __SLUICE_VERSION__: packageInfo().version,
  }
  const from = join(packageInfo().root, 'templates', template)
  let written: string[]
  try {
    written = await copyTemplate(from, target, values)
  } catch (cause) {
    throw new SluiceError({ code: 'INIT_FAILED', message: `can't write ${target}: ${(cause as Error).message}`, context: { path: target }, cause })
  }
  const shown = relative(io.cwd, target) || '.'
  io.out(`Created ${shown}/ from template ${template}:\n${written.map((f) => `  ${join(shown, f)}\n`).join('')}`)
  io.out(`\nNext:\n  npx sluice debug ${shown}\n`)
  return 0
}

async function copyTemplate(from: string, to: string, values: Record<string, string>, prefix = ''): Promise<string[]> {
  await mkdir(to, { recursive: true })
  const written: string[] = []
  for (const entry of (await readdir(from, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    const outName = RENAMES[entry.name] ?? entry.name
    if (entry.isDirectory()) {
      written.push(...(await copyTemplate(join(from, entry.name), join(to, outName), values, join(prefix, outName))))
      continue
    }
    let text = await readFile(join(from, entry.name), 'utf8')
    for (const [key, value] of Object.entries(values)) text = text.replaceAll(key, value)
    await writeFile(join(to, outName), text, { flag: 'wx' })
    written.push(join(prefix, outName))
  }
  return written
}

/** What a connector folder may be called: it becomes the package name, the connector id and a path in commands. */
const CONNECTOR_NAME = /^[A-Za-z][A-Za-z0-9_-]*$/

/** Throws `INIT_NAME` for a folder name other than letters, digits, `_` and `-` starting with a letter. */
export function checkConnectorName(name: string): void {
  if (CONNECTOR_NAME.test(name)) return
  throw new SluiceError({
    code: 'INIT_NAME',
    message: `the connector name ${JSON.stringify(name)} is not allowed: use letters, digits, _ and -, starting with a letter (e.g. my_connector)`,
    context: { name },
  })
}

/** A connector id from a folder name: lower snake case, starting with a letter. */
export function connectorId(folder: string): string {
  const snake = folder
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
  return /^[a-z]/.test(snake) ? snake : `connector_${snake || 'new'}`
}

import { SluiceError } from '../core/sluice-error.js'

/** What a command accepts: options that take a value, and boolean flags. */
export interface ArgSpec {
  readonly command: string
  readonly values?: readonly string[]
  readonly flags?: readonly string[]
  /** Options of `values` that take one of a fixed set of values: `{ destination: ['sqlite', 'duckdb'] }`. */
  readonly choices?: Readonly<Record<string, readonly string[]>>
  /** Most positional arguments accepted. */
  readonly maxPositionals: number
}

/** Parsed arguments: positionals in order, `--name value` options, and flags that were set. */
export interface ParsedArgs {
  readonly positionals: string[]
  readonly values: Record<string, string>
  readonly flags: Set<string>
}

/** Flags every command accepts. */
export const GLOBAL_FLAGS = ['verbose', 'help'] as const

/**
 * Parses `argv` by hand (`--name value`, `--name=value`, `--flag`, `-h`, `--` ends options) and
 * throws `USAGE` naming the command for an unknown option, a missing value, a value outside its
 * `choices` or extra arguments.
 *
 * @example
 * ```ts
 * import { parseArgs } from './parse-args.js'
 * parseArgs(['my_dir', '--configuration', 'c.json'], { command: 'debug', values: ['configuration'], maxPositionals: 1 })
 * ```
 */
export function parseArgs(argv: readonly string[], spec: ArgSpec): ParsedArgs {
  const values = new Set(spec.values ?? [])
  const flags = new Set<string>([...GLOBAL_FLAGS, ...(spec.flags ?? [])])
  const out: ParsedArgs = { positionals: [], values: {}, flags: new Set() }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (arg === '--') {
      out.positionals.push(...argv.slice(i + 1))
      break
    }
    if (arg === '-h') {
      out.flags.add('help')
      continue
    }
    if (!arg.startsWith('--') || arg === '--') {
      if (arg.startsWith('-') && arg.length > 1) throw usage(spec.command, `unknown option ${arg}`)
      out.positionals.push(arg)
      continue
    }
    const eq = arg.indexOf('=')
    const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq)
    if (values.has(name)) {
      const value = eq === -1 ? argv[++i] : arg.slice(eq + 1)
      if (value === undefined || value === '') throw usage(spec.command, `option --${name} needs a value`)
      const allowed = spec.choices?.[name]
      if (allowed && !allowed.includes(value)) throw usage(spec.command, `option --${name} must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`)
      out.values[name] = value
    } else if (flags.has(name) && eq === -1) {
      out.flags.add(name)
    } else {
      throw usage(spec.command, `unknown option --${name}`)
    }
  }
  if (out.positionals.length > spec.maxPositionals) {
    throw usage(spec.command, `unexpected argument ${JSON.stringify(out.positionals[spec.maxPositionals])}`)
  }
  return out
}

/** A `USAGE` error for `sluice <command>`. */
export function usage(command: string, message: string): SluiceError {
  return new SluiceError({ code: 'USAGE', message: `${message} (see \`sluice ${command} --help\`)`, context: { command } })
}

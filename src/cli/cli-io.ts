/** Where the CLI writes and what it knows about the terminal; injected so tests can capture it. */
export interface CliIo {
  /** Results (summaries, what was created or removed). */
  readonly out: (text: string) => void
  /** Errors, warnings and progress. */
  readonly err: (text: string) => void
  /** True when stderr is a terminal: progress is then one live line rewritten in place. */
  readonly isTTY: boolean
  readonly env: Readonly<Record<string, string | undefined>>
  readonly cwd: string
}

/**
 * The CLI's view of the current process: stdout, stderr, environment and working directory.
 *
 * @example
 * ```ts
 * import { processIo } from './cli-io.js'
 * processIo().out('hello\n')
 * ```
 */
export function processIo(): CliIo {
  return {
    out: (text) => void process.stdout.write(text),
    err: (text) => void process.stderr.write(text),
    isTTY: process.stderr.isTTY === true,
    env: process.env,
    cwd: process.cwd(),
  }
}

import Database from 'better-sqlite3'
import { execFile } from 'node:child_process'
import { mkdtempSync, realpathSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The `sluice` launcher of this checkout. */
export const BIN = fileURLToPath(new URL('../../bin/sluice.js', import.meta.url))

/** What a CLI run printed and how it exited. */
export interface CliResult {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

/** Runs `node bin/sluice.js …args` as a child process in `cwd`; never rejects on a non-zero exit. */
export function runCli(args: readonly string[], options: { cwd: string; env?: Record<string, string> }): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, SLUICE_DEBUG: '', NO_COLOR: '1', ...options.env }
    execFile(process.execPath, [BIN, ...args], { cwd: options.cwd, env, timeout: 50_000 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') return reject(error)
      resolve({ code: error ? (error.code as number) : 0, stdout, stderr })
    })
  })
}

/** A fresh temp folder outside the repository (so `import 'sluice'` can't resolve by accident). */
export function tempDir(prefix = 'sluice-cli-'): string {
  return realpathSync(mkdtempSync(join(tmpdir(), prefix)))
}

/** The number in the `Operation | Calls` row called `operation` of a debug summary. */
export function calls(stdout: string, operation: string): number {
  const match = new RegExp(`^${operation}\\s*\\|\\s*([\\d,]+)$`, 'm').exec(stdout)
  if (!match) throw new Error(`no ${operation} row in:\n${stdout}`)
  return Number(match[1]!.replaceAll(',', ''))
}

/** The stderr of a failed run is one `error [CODE]: …` line and no stack trace. */
export function oneErrorLine(stderr: string): string {
  const lines = stderr.trim().split('\n')
  if (lines.length !== 1 || !lines[0]!.startsWith('error [')) throw new Error(`expected one error line, got:\n${stderr}`)
  if (/\n\s+at /.test(stderr)) throw new Error(`stack trace in:\n${stderr}`)
  return lines[0]!
}

/** One value from the connector's SQLite warehouse (`<dir>/files/warehouse.db`), opened read-only. */
export function warehouseValue(dir: string, sql: string): unknown {
  const db = new Database(join(dir, 'files', 'warehouse.db'), { readonly: true })
  try {
    return db.prepare(sql).pluck().get()
  } finally {
    db.close()
  }
}

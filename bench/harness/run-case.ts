import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { CaseResult } from './case-result.js'

const CHILD = fileURLToPath(new URL('./child.ts', import.meta.url))
const ROOT = fileURLToPath(new URL('../..', import.meta.url))

/**
 * Runs one case in a fresh child process: its own heap, JIT and peak RSS. Extra node flags
 * (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile) come from `BENCH_NODE_ARGS`.
 */
export function runCase(scenario: string, caseName: string, rows: number): Promise<CaseResult> {
  const extra = (process.env.BENCH_NODE_ARGS ?? '').split(/\s+/).filter(Boolean)
  return new Promise((resolve) => {
    let result: CaseResult | undefined
    const child = fork(CHILD, [scenario, caseName, String(rows)], {
      cwd: ROOT,
      execArgv: ['--expose-gc', '--import', 'tsx', ...extra],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    child.on('message', (message) => {
      result = message as CaseResult
    })
    child.on('error', (error) => {
      result ??= { ok: false, error: error.message }
    })
    child.on('exit', (code, signal) => {
      resolve(result ?? { ok: false, error: `child exited with ${signal ?? `code ${code}`} before reporting` })
    })
  })
}

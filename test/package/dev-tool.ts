import { spawnSync } from 'node:child_process'
import pkg from '../../package.json' with { type: 'json' }

/**
 * Runs a devDependency's binary at the version package.json asks for, through `npm exec`: the
 * installed one when there is one, else npm's cache. Returns its stdout, all its output, and
 * whether it exited 0.
 */
export function devTool(name: keyof typeof pkg.devDependencies, bin: string, args: readonly string[], cwd: string): { ok: boolean; stdout: string; output: string } {
  const child = spawnSync('npm', ['exec', '--yes', `--package=${name}@${pkg.devDependencies[name]}`, '--', bin, ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
  })
  return { ok: child.status === 0, stdout: child.stdout, output: `${child.stdout}\n${child.stderr}` }
}

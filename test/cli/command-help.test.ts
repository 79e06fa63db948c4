import { readdirSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { afterAll, describe, expect, it } from 'vitest'
import type { CliIo } from '../../src/cli/cli-io.js'
import { COMMAND_NAMES, main, USAGE } from '../../src/cli/main.js'
import { runCli, tempDir } from './run-cli.js'

const cwd = tempDir()
afterAll(() => rm(cwd, { recursive: true, force: true }))

/** The commands `sluice --help` lists, each on a line of its own under "Commands:". */
const listed = [...USAGE.split('Commands:\n')[1]!.split('\n\n')[0]!.matchAll(/^ {2}([a-z]+) /gm)].map((m) => m[1]!)

function captureIo(): CliIo & { stdout: () => string; stderr: () => string } {
  let out = ''
  let err = ''
  return { out: (t) => void (out += t), err: (t) => void (err += t), isTTY: false, env: {}, cwd, stdout: () => out, stderr: () => err }
}

describe('<command> --help', () => {
  it('the top-level usage lists every registered command', () => {
    expect([...listed].sort()).toEqual([...COMMAND_NAMES].sort())
  })

  for (const command of listed) {
    for (const flag of ['--help', '-h']) {
      it(`sluice ${command} ${flag} prints its usage and exits 0 without running it`, async () => {
        const io = captureIo()
        // A positional as well: help wins over whatever else the command line says.
        expect(await main([command, 'some_dir', flag], io)).toBe(0)
        expect(io.stdout()).toMatch(new RegExp(`^Usage: sluice ${command}\\b`))
        expect(io.stderr()).toBe('')
        // Nothing created: init made no folder, debug no files/.
        expect(readdirSync(cwd)).toEqual([])
      })
    }
  }

  it('sluice status --help from the command line exits 0 (it used to run status and exit 1)', async () => {
    const result = await runCli(['status', '--help'], { cwd })
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/^Usage: sluice status/)
  })
})

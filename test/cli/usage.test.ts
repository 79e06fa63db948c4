import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { oneErrorLine, runCli, tempDir } from './run-cli.js'

describe('sluice usage and init mistakes', () => {
  const cwd = tempDir()
  afterAll(() => rm(cwd, { recursive: true, force: true }))

  it('--help, -h and no arguments print the usage with the available commands', async () => {
    for (const args of [['--help'], ['-h'], []]) {
      const result = await runCli(args, { cwd })
      expect(result.code).toBe(0)
      expect(result.stdout).toMatch(/^Usage: sluice <command>/)
      for (const command of ['init', 'debug', 'reset', 'status', 'mar', 'schema']) expect(result.stdout).toContain(`  ${command} `)
    }
  })

  it('<command> --help prints that command’s usage', async () => {
    const result = await runCli(['debug', '--help'], { cwd })
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/^Usage: sluice debug \[dir\] \[--configuration file\]/)
  })

  it('an unknown command prints the usage to stderr and exits 2', async () => {
    const result = await runCli(['deploy'], { cwd })
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(/^error \[USAGE\]: unknown command "deploy"\n/)
    expect(result.stderr).toContain('Usage: sluice <command>')
    expect(result.stdout).toBe('')
  })

  it('an unknown option or an extra argument is a USAGE error naming it', async () => {
    const option = await runCli(['debug', '--bogus'], { cwd })
    expect(option.code).toBe(2)
    expect(oneErrorLine(option.stderr)).toBe('error [USAGE]: unknown option --bogus (see `sluice debug --help`)')
    const extra = await runCli(['reset', 'a', 'b'], { cwd })
    expect(extra.code).toBe(2)
    expect(oneErrorLine(extra.stderr)).toMatch(/^error \[USAGE\]: unexpected argument "b"/)
  })

  it('init without a name, with an unknown template, or into a non-empty folder fails clearly', async () => {
    const noName = await runCli(['init'], { cwd })
    expect(noName.code).toBe(2)
    expect(oneErrorLine(noName.stderr)).toMatch(/^error \[USAGE\]: missing the connector name/)

    const unknown = await runCli(['init', 'x', '--template', 'soap'], { cwd })
    expect(unknown.code).toBe(1)
    expect(oneErrorLine(unknown.stderr)).toBe('error [TEMPLATE_UNKNOWN]: unknown template "soap"; available: basic, database, files, graphql, postgres-cdc, rest')

    mkdirSync(join(cwd, 'taken'))
    writeFileSync(join(cwd, 'taken', 'notes.txt'), 'mine')
    const taken = await runCli(['init', 'taken'], { cwd })
    expect(taken.code).toBe(1)
    expect(oneErrorLine(taken.stderr)).toMatch(/^error \[INIT_EXISTS\]: .*taken already exists/)
  })

  it('init refuses a name that is not letters, digits, _ and - starting with a letter, and writes nothing', async () => {
    for (const name of ['bad name!', '9lives', '-dash', 'nested/über', 'x.y']) {
      // After `--`, so that '-dash' is a name, not an option.
      const result = await runCli(['init', '--template', 'rest', '--', name], { cwd })
      expect(result.code).toBe(1)
      const line = oneErrorLine(result.stderr)
      expect(line).toMatch(/^error \[INIT_NAME\]: /)
      expect(line).toContain(JSON.stringify(name.split('/').at(-1)))
      expect(line).toContain('letters, digits, _ and -, starting with a letter')
      expect(existsSync(join(cwd, name))).toBe(false)
    }
  })

  it('init --template basic is the default template, and derives the connector id from the folder', async () => {
    const result = await runCli(['init', 'nested/My-Shop', '--template=basic'], { cwd })
    expect(result.code).toBe(0)
    expect(result.stdout).toContain('Created nested/My-Shop/ from template basic')
    const { readFileSync } = await import('node:fs')
    expect(readFileSync(join(cwd, 'nested', 'My-Shop', 'connector.ts'), 'utf8')).toContain("id: 'my_shop'")
  })

  it('--version prints the package version', async () => {
    const result = await runCli(['--version'], { cwd })
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/^\d+\.\d+\.\d+/)
  })
})

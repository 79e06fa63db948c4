import { mkdirSync, writeFileSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { calls, oneErrorLine, runCli, tempDir } from './run-cli.js'

const SLOW = `import { connector, op } from 'sluice'
export default connector({
  id: 'slow',
  schema: () => [{ table: 'ticks', primaryKey: ['id'] }],
  async *update(_configuration, state) {
    let next = typeof state.next === 'number' ? state.next : 0
    for (let page = 0; page < 8; page++) {
      await new Promise((resolve) => setTimeout(resolve, 60))
      yield op.upsert('ticks', Array.from({ length: 50 }, (_, i) => ({ id: next + i })))
      next += 50
      yield op.checkpoint({ next })
    }
  },
})
`

const FAILS_MIDWAY = `import { connector, op } from 'sluice'
export default connector({
  id: 'midway',
  async *update(_configuration, state) {
    if (state.done) return
    yield op.upsert('items', [{ id: 1 }, { id: 2 }])
    yield op.checkpoint({ page: 1 })
    yield op.upsert('items', [{ id: 3 }])
    throw new Error('the API answered 503 on page 2')
  },
})
`

describe('sluice debug with hand-written connectors', () => {
  const cwd = tempDir()
  afterAll(() => rm(cwd, { recursive: true, force: true }))
  const write = (dir: string, files: Record<string, string>) => {
    mkdirSync(join(cwd, dir), { recursive: true })
    for (const [name, text] of Object.entries(files)) writeFileSync(join(cwd, dir, name), text)
  }

  it('loads a connector.ts from a folder without package.json (compiled as CommonJS), importing sluice', async () => {
    write('cjs', { 'connector.ts': SLOW.replace("id: 'slow'", "id: 'cjs'") })
    const result = await runCli(['debug', 'cjs'], { cwd })
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expect(calls(result.stdout, 'Upserts')).toBe(400)
  })

  it('prints a plain progress line now and then when stderr is not a terminal', async () => {
    write('slow', { 'connector.ts': SLOW, 'package.json': '{ "type": "module" }' })
    const result = await runCli(['debug', 'slow'], { cwd, env: { SLUICE_PROGRESS_MS: '100' } })
    expect(result.code).toBe(0)
    const lines = result.stderr.trim().split('\n')
    expect(lines.length).toBeGreaterThanOrEqual(2)
    expect(lines[0]).toMatch(/^ticks · [\d,]+ rows · [\d,]+ rows\/s · [\d.]+(ms|s) · \d+ checkpoints \([\d,]+ rows committed\)$/)
    expect(result.stderr).not.toContain('\r')
    expect(calls(result.stdout, 'Checkpoints')).toBe(8)
  })

  it('a sync that fails midway prints the summary, one error line, and keeps the last checkpoint', async () => {
    write('midway', { 'connector.mjs': FAILS_MIDWAY })
    const result = await runCli(['debug', 'midway'], { cwd })
    expect(result.code).toBe(1)
    expect(oneErrorLine(result.stderr)).toBe('error [SOURCE_FAILED]: the API answered 503 on page 2')
    expect(calls(result.stdout, 'Checkpoints')).toBe(1)
    expect(result.stdout).toContain('Status: failed')
    // Only the checkpointed rows are in the warehouse: the third row was rolled back.
    expect(result.stdout).toMatch(/^items\s+\|.*\|\s+2 \|\s+0$/m)
    const { readFileSync } = await import('node:fs')
    expect(JSON.parse(readFileSync(join(cwd, 'midway', 'files', 'state.json'), 'utf8'))).toEqual({ page: 1 })

    const verbose = await runCli(['debug', 'midway', '--verbose'], { cwd })
    expect(verbose.stderr).toContain('caused by: Error: the API answered 503 on page 2')
    expect(verbose.stderr).toMatch(/connector\.mjs:\d+/)
  })
})

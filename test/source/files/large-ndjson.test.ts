import { execFile } from 'node:child_process'
import { createWriteStream, mkdtempSync, rmSync, statSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..')
const CHILD = 'test/source/files/ndjson-memory-child.ts'
const ROWS = 1_000_000

/**
 * The child as plain ESM bundled by esbuild (tsx's, present with it), so that its RSS is the
 * library's and not tsx's in-process compiler (~80 MB); `--import tsx` when esbuild can't load.
 */
async function childCommand(dir: string): Promise<string[]> {
  const esbuild = await import('esbuild').catch(() => undefined)
  if (!esbuild) return ['--import', 'tsx', CHILD]
  const outfile = join(dir, 'ndjson-memory-child.mjs')
  await esbuild.build({ entryPoints: [join(ROOT, CHILD)], bundle: true, platform: 'node', format: 'esm', packages: 'external', outfile, logLevel: 'error' })
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir') // the bundle's imports resolve from its own directory
  return [outfile]
}

/** ~200 MB of NDJSON, ~205 bytes a row, written in 1 MB chunks. */
async function generate(path: string): Promise<void> {
  const out = createWriteStream(path)
  const pad = 'x'.repeat(90)
  let chunk = ''
  for (let i = 0; i < ROWS; i++) {
    chunk += `{"id":${i},"at":"2026-11-22T10:11:12.${String(i % 1000).padStart(3, '0')}Z","email":"user${i}@example.com","amount":${(i % 10000) / 100},"note":"${pad}","tags":["a","b"]}\n`
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()))
      chunk = ''
    }
  }
  out.end(chunk)
  await new Promise<void>((r, j) => out.on('finish', () => r()).on('error', j))
}

describe('fileSource on a large NDJSON file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-large-ndjson-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('syncs 200 MB in bounded memory: the process peaks far below the file size (< 300 MB RSS)', async () => {
    const file = join(dir, 'events.ndjson')
    await generate(file)
    expect(statSync(file).size).toBeGreaterThan(195 * 2 ** 20)
    const { stdout } = await promisify(execFile)(process.execPath, [...(await childCommand(dir)), file, join(dir, 'w.db')], {
      cwd: ROOT,
      maxBuffer: 1 << 20,
    })
    const result = JSON.parse(stdout.trim().split('\n').at(-1)!) as { status: string; rows: number; maxRssMb: number }
    console.log(`large NDJSON: ${result.rows} rows, peak RSS ${result.maxRssMb.toFixed(0)} MB`)
    expect(result).toMatchObject({ status: 'succeeded', rows: ROWS })
    expect(result.maxRssMb).toBeLessThan(300)
  }, 300_000)
})

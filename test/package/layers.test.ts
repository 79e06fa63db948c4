import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { checkLayers, importCycles, importGraph, layerViolations, LAYERS, moduleOf, SRC_DIR, type ImportGraph, type Layer } from '../../scripts/check-layers.js'

describe('the imports of src/ keep the layer picture (docs/layers.md)', () => {
  it('has no import cycle and no import sideways or up, and every folder has a layer', () => {
    const graph = importGraph(SRC_DIR)
    expect(graph.size).toBeGreaterThan(250) // it read the tree, not an empty folder
    expect(checkLayers(graph)).toEqual([])
  })

  it('docs/layers.md draws every layer and module of the check', () => {
    const doc = readFileSync(join(SRC_DIR, '..', 'docs', 'layers.md'), 'utf8')
    const picture = doc.slice(doc.indexOf('```'), doc.indexOf('```', doc.indexOf('```') + 3))
    for (const layer of LAYERS) {
      for (const module of layer.modules) if (module !== '(entry)') expect(picture, module).toMatch(new RegExp(`(^|[\\s·])${module.replace('/', '\\/')}(/|\\s|$)`, 'm'))
    }
  })

  it('places every folder of src/ in exactly one layer', () => {
    const all = LAYERS.flatMap((l) => l.modules)
    expect(new Set(all).size).toBe(all.length)
    for (const file of importGraph(SRC_DIR).keys()) expect(moduleOf(file), file).toBeDefined()
  })
})

describe('the check itself fails where it must', () => {
  const layers: readonly Layer[] = [
    { name: 'floor', modules: ['core'] },
    { name: 'middle', modules: ['source', 'sink', 'sink/files'] },
    { name: 'top', modules: ['sync'] },
  ]

  it('reports a cycle with its files in import order', () => {
    const graph: ImportGraph = new Map([
      ['core/a.ts', ['core/b.ts']],
      ['core/b.ts', ['core/c.ts']],
      ['core/c.ts', ['core/a.ts']],
      ['core/d.ts', ['core/a.ts']],
    ])
    expect(importCycles(graph)).toEqual([['core/a.ts', 'core/b.ts', 'core/c.ts', 'core/a.ts']])
    expect(checkLayers(graph, layers)).toEqual(['cycle: core/a.ts → core/b.ts → core/c.ts → core/a.ts'])
  })

  it('reports a file that imports itself as a cycle', () => {
    expect(importCycles(new Map([['core/a.ts', ['core/a.ts']]]))).toEqual([['core/a.ts', 'core/a.ts']])
  })

  it('reports an upward import and a sideways one with both layers, and lets downward ones and a module\'s own pass', () => {
    const graph: ImportGraph = new Map([
      ['core/batch.ts', ['sync/sync.ts']], // upward: the floor imports the top
      ['source/rest.ts', ['sink/files/codec.ts', 'core/batch.ts', 'source/op.ts']], // sideways, down, own
      ['sink/files/codec.ts', ['sink/row.ts']], // sideways: a sub-folder is a module of its own
      ['source/op.ts', []],
      ['sink/row.ts', []],
      ['sync/sync.ts', ['source/rest.ts', 'core/batch.ts']],
    ])
    const { violations, unplaced } = layerViolations(graph, layers)
    expect(unplaced).toEqual([])
    expect(violations).toEqual([
      { from: 'core/batch.ts', to: 'sync/sync.ts', fromLayer: 'floor (core)', toLayer: 'top (sync)', kind: 'upward' },
      { from: 'source/rest.ts', to: 'sink/files/codec.ts', fromLayer: 'middle (source)', toLayer: 'middle (sink/files)', kind: 'sideways' },
      { from: 'sink/files/codec.ts', to: 'sink/row.ts', fromLayer: 'middle (sink/files)', toLayer: 'middle (sink)', kind: 'sideways' },
    ])
    expect(checkLayers(graph, layers)).toContain('cycle: core/batch.ts → sync/sync.ts → core/batch.ts')
    expect(checkLayers(graph, layers)).toContain('upward import: core/batch.ts → sync/sync.ts (floor (core) imports top (sync))')
  })

  it('reports a folder no layer lists', () => {
    const graph: ImportGraph = new Map([['cdc/wal.ts', ['core/batch.ts']], ['core/batch.ts', []]])
    expect(layerViolations(graph, layers).unplaced).toEqual(['cdc/wal.ts'])
  })

  describe('reading a tree', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-layers-'))
    afterAll(() => rmSync(dir, { recursive: true, force: true }))

    it('counts type imports, re-exports, side-effect and dynamic imports, and skips packages', () => {
      mkdirSync(join(dir, 'core'))
      mkdirSync(join(dir, 'sync'))
      writeFileSync(
        join(dir, 'core', 'a.ts'),
        [
          "import type { S } from '../sync/s.js'",
          "export { x } from './b.js'",
          "import './c.js'",
          "const lazy = () => import('./d.js')",
          "import pg from 'pg'",
        ].join('\n'),
      )
      for (const f of ['core/b.ts', 'core/c.ts', 'core/d.ts', 'sync/s.ts']) writeFileSync(join(dir, f), '')
      const graph = importGraph(dir)
      expect(graph.get('core/a.ts')).toEqual(['sync/s.ts', 'core/b.ts', 'core/c.ts', 'core/d.ts'])
      expect(checkLayers(graph, layers)).toEqual(['upward import: core/a.ts → sync/s.ts (floor (core) imports top (sync))'])
    })
  })
})

/**
 * The import-direction check: every import of `src/` points down the layer picture of
 * docs/layers.md, and no import cycle exists. `npm run layers` prints what
 * breaks the rules and exits 1; test/package/layers.test.ts runs the same check.
 *
 * Every import counts: value and `import type`, `export … from`, side-effect `import '…'` and
 * dynamic `import()`. A type-only edge still couples two modules' meanings (moving `Stage` meant
 * editing every stage), and a cycle of types is a cycle of concepts, so the issue counts both.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, normalize, relative, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'

/**
 * The layers, bottom first. A module is a folder of `src/` (a longer path wins: `sink/sqlite`
 * before `sink`); `(entry)` is a file directly under `src/` (`index.ts`, `postgres.ts` …). A module
 * may import itself and any module of a lower layer: never one of its own layer (sideways) or
 * of a higher one (upward). A folder missing from this list fails the check: place it first.
 */
export const LAYERS: readonly Layer[] = [
  { name: 'core', modules: ['core'] },
  { name: 'contracts', modules: ['contracts'] },
  { name: 'retry', modules: ['retry'] },
  { name: 'io utilities', modules: ['http', 'cursor', 'codec', 'db'] },
  { name: 'log', modules: ['log'] },
  { name: 'serve page', modules: ['serve/page'] },
  { name: 'stores', modules: ['mar', 'state'] },
  { name: 'pipeline base', modules: ['source', 'stage', 'sink', 'sink/layout', 'sink/thread'] },
  { name: 'source kits', modules: ['source/sql'] },
  { name: 'warehouse sql', modules: ['warehouse/sql'] },
  { name: 'warehouse stores', modules: ['warehouse/mar', 'warehouse/control'] },
  { name: 'warehouse', modules: ['warehouse'] },
  {
    name: 'pipeline',
    modules: [
      ...['source/rest', 'source/graphql', 'source/postgres', 'source/mysql', 'source/files', 'source/id-cursor', 'source/time-windows', 'schema-drift'],
      ...['sink/sqlite', 'sink/postgres', 'sink/duckdb', 'sink/files', 'sink/memory'],
    ],
  },
  { name: 'sync', modules: ['sync', 'check'] },
  { name: 'operations', modules: ['alert', 'schedule'] },
  { name: 'dbt', modules: ['dbt'] },
  { name: 'connector', modules: ['connector'] },
  { name: 'fleet', modules: ['fleet'] },
  { name: 'serve', modules: ['serve'] },
  { name: 'cli', modules: ['cli'] },
  { name: 'entries', modules: ['(entry)'] },
]

export interface Layer {
  readonly name: string
  readonly modules: readonly string[]
}

/** File → the files it imports, paths relative to `src/` with `/` separators (`sync/sync.ts`). */
export type ImportGraph = ReadonlyMap<string, readonly string[]>

/** One import that breaks the layer rule. */
export interface LayerViolation {
  readonly from: string
  readonly to: string
  readonly fromLayer: string
  readonly toLayer: string
  readonly kind: 'upward' | 'sideways'
}

/** Reads every `.ts` file under `srcDir` and the relative imports of each. */
export function importGraph(srcDir: string): ImportGraph {
  const graph = new Map<string, string[]>()
  for (const file of tsFiles(srcDir)) {
    const text = readFileSync(join(srcDir, file), 'utf8')
    const targets: string[] = []
    // readImportFiles and detectJavaScriptImports: `import()` and `require()` count too.
    for (const { fileName } of ts.preProcessFile(text, true, true).importedFiles) {
      if (!fileName.startsWith('.')) continue // a package, not a module of ours
      const target = normalize(join(dirname(file), fileName)).split(sep).join('/').replace(/\.js$/, '.ts')
      if (!targets.includes(target)) targets.push(target)
    }
    graph.set(file, targets)
  }
  return graph
}

function tsFiles(root: string, dir = ''): string[] {
  const out: string[] = []
  for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
    const path = dir === '' ? entry.name : `${dir}/${entry.name}`
    if (entry.isDirectory()) out.push(...tsFiles(root, path))
    else if (entry.name.endsWith('.ts')) out.push(path)
  }
  return out.sort()
}

/** The module of a file (`sink/sqlite/sqlite-run.ts` → `sink/sqlite`), or undefined when no layer lists it. */
export function moduleOf(file: string, layers: readonly Layer[] = LAYERS): string | undefined {
  const parts = file.split('/')
  if (parts.length === 1) return layers.some((l) => l.modules.includes('(entry)')) ? '(entry)' : undefined
  for (let n = parts.length - 1; n >= 1; n--) {
    const candidate = parts.slice(0, n).join('/')
    if (layers.some((l) => l.modules.includes(candidate))) return candidate
  }
  return undefined
}

/** Every import from a module to one of the same layer or a higher one, and every file outside the picture. */
export function layerViolations(graph: ImportGraph, layers: readonly Layer[] = LAYERS): { violations: LayerViolation[]; unplaced: string[] } {
  const rank = new Map<string, number>()
  layers.forEach((layer, i) => layer.modules.forEach((m) => rank.set(m, i)))
  const violations: LayerViolation[] = []
  const unplaced = new Set<string>()
  for (const [from, targets] of graph) {
    const fromModule = moduleOf(from, layers)
    if (fromModule === undefined) {
      unplaced.add(from)
      continue
    }
    for (const to of targets) {
      const toModule = moduleOf(to, layers)
      if (toModule === undefined) {
        unplaced.add(to)
        continue
      }
      if (toModule === fromModule) continue
      const a = rank.get(fromModule)!
      const b = rank.get(toModule)!
      if (b < a) continue
      violations.push({ from, to, fromLayer: `${layers[a]!.name} (${fromModule})`, toLayer: `${layers[b]!.name} (${toModule})`, kind: b > a ? 'upward' : 'sideways' })
    }
  }
  return { violations, unplaced: [...unplaced].sort() }
}

/**
 * One cycle per strongly connected component of more than one file (or a file importing
 * itself), as the files in import order with the first repeated at the end (`a → b → a`).
 */
export function importCycles(graph: ImportGraph): string[][] {
  // Tarjan's algorithm, iterative: the graph is a few hundred files, but recursion depth is not ours to bet on.
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const onStack = new Set<string>()
  const stack: string[] = []
  const components: string[][] = []
  let next = 0
  const edges = (v: string) => (graph.get(v) ?? []).filter((w) => graph.has(w))
  for (const root of graph.keys()) {
    if (index.has(root)) continue
    const work: { v: string; i: number }[] = [{ v: root, i: 0 }]
    index.set(root, next)
    low.set(root, next++)
    stack.push(root)
    onStack.add(root)
    while (work.length > 0) {
      const frame = work[work.length - 1]!
      const out = edges(frame.v)
      if (frame.i < out.length) {
        const w = out[frame.i++]!
        if (!index.has(w)) {
          index.set(w, next)
          low.set(w, next++)
          stack.push(w)
          onStack.add(w)
          work.push({ v: w, i: 0 })
        } else if (onStack.has(w)) low.set(frame.v, Math.min(low.get(frame.v)!, index.get(w)!))
        continue
      }
      work.pop()
      const parent = work[work.length - 1]
      if (parent) low.set(parent.v, Math.min(low.get(parent.v)!, low.get(frame.v)!))
      if (low.get(frame.v) === index.get(frame.v)) {
        const component: string[] = []
        let w: string
        do {
          w = stack.pop()!
          onStack.delete(w)
          component.push(w)
        } while (w !== frame.v)
        if (component.length > 1 || edges(frame.v).includes(frame.v)) components.push(component)
      }
    }
  }
  return components.map((c) => cycleIn(graph, new Set(c)))
}

/** A shortest cycle through the component's first file (breadth-first within the component). */
function cycleIn(graph: ImportGraph, component: ReadonlySet<string>): string[] {
  const start = [...component].sort()[0]!
  const previous = new Map<string, string>()
  const queue = [start]
  while (queue.length > 0) {
    const v = queue.shift()!
    for (const w of graph.get(v) ?? []) {
      if (!component.has(w)) continue
      if (w === start) {
        const path = [v]
        while (path[0] !== start) path.unshift(previous.get(path[0]!)!)
        return [...path, start]
      }
      if (!previous.has(w)) {
        previous.set(w, v)
        queue.push(w)
      }
    }
  }
  return [start, start]
}

/** The report of the whole check, one line per finding; empty when the imports keep the picture. */
export function checkLayers(graph: ImportGraph, layers: readonly Layer[] = LAYERS): string[] {
  const lines: string[] = []
  for (const cycle of importCycles(graph)) lines.push(`cycle: ${cycle.join(' → ')}`)
  const { violations, unplaced } = layerViolations(graph, layers)
  for (const v of violations) lines.push(`${v.kind} import: ${v.from} → ${v.to} (${v.fromLayer} imports ${v.toLayer})`)
  for (const file of unplaced) lines.push(`not in any layer: ${file} (add its folder to LAYERS in scripts/check-layers.ts and docs/layers.md)`)
  return lines
}

/** `src/` of this checkout. */
export const SRC_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'src')

if (process.argv[1] !== undefined && relative(process.argv[1], fileURLToPath(import.meta.url)) === '') {
  const lines = checkLayers(importGraph(SRC_DIR))
  for (const line of lines) console.log(line)
  console.log(lines.length === 0 ? 'layers: every import points down, no cycle' : `layers: ${lines.length} problem(s)`)
  process.exitCode = lines.length === 0 ? 0 : 1
}

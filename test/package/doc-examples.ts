import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import ts from 'typescript'

/** One ```ts block found in a README, a doc page or a TSDoc comment. */
export interface DocExample {
  /** Where it is, as `file:line` of the block's first code line. */
  readonly where: string
  /** The file it is in, relative to the repository: a TSDoc example may import its neighbours (`./x.js`). */
  readonly file: string
  readonly code: string
}

const ROOT = resolve(import.meta.dirname, '../..')
const FENCE = /^```(ts|typescript)\s*$/

// Not documentation: dependencies, build output, hidden folders (.git, .tmp …).
const SKIP = (name: string): boolean => name === 'node_modules' || name === 'dist' || name.startsWith('.')

/** Every ```ts example in the repository's Markdown (README.md, docs/, templates/, bench/ …) and the TSDoc of src/. */
export function collectExamples(): DocExample[] {
  const found: DocExample[] = []
  for (const file of walk('.', '.md')) found.push(...fromMarkdown(file, readFileSync(join(ROOT, file), 'utf8')))
  for (const file of walk('src', '.ts')) found.push(...fromTsDoc(file, readFileSync(join(ROOT, file), 'utf8')))
  return found
}

function walk(dir: string, ext: string): string[] {
  const abs = join(ROOT, dir)
  let names: string[]
  try {
    names = readdirSync(abs)
  } catch {
    return []
  }
  return names.flatMap((name) => {
    if (SKIP(name)) return []
    const path = join(abs, name)
    if (statSync(path).isDirectory()) return walk(relative(ROOT, path), ext)
    return name.endsWith(ext) ? [relative(ROOT, path)] : []
  })
}

function fromMarkdown(file: string, text: string): DocExample[] {
  return blocks(file, text.split('\n'), (line) => line)
}

// Inside /** … */ a code line is ` * code`; strip the leading star and one space.
function fromTsDoc(file: string, text: string): DocExample[] {
  const out: DocExample[] = []
  const lines = text.split('\n')
  let start = -1
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!
    if (start < 0 && line.includes('/**')) start = i
    if (start >= 0 && line.includes('*/')) {
      const comment = lines.slice(start, i + 1).map((l) => l.replace(/^\s*(\/\*\*|\*\/|\*)? ?/, '').replace(/\*\/\s*$/, ''))
      out.push(...blocks(file, comment, (l) => l, start))
      start = -1
    }
  }
  return out
}

function blocks(file: string, lines: readonly string[], clean: (line: string) => string, offset = 0): DocExample[] {
  const out: DocExample[] = []
  let open = -1
  for (let i = 0; i < lines.length; i++) {
    const line = clean(lines[i]!)
    if (open < 0 && FENCE.test(line.trim())) open = i + 1
    else if (open >= 0 && line.trim() === '```') {
      out.push({ where: `${file}:${offset + open + 1}`, file, code: lines.slice(open, i).map(clean).join('\n') })
      open = -1
    }
  }
  return out
}

/**
 * Typechecks each example as its own module against the package's sources (`sluice` and its subpath
 * entries resolve as the published package's `exports` do) and returns one message per failing example.
 */
export function typecheckExamples(examples: readonly DocExample[]): string[] {
  const config = ts.readConfigFile(join(ROOT, 'tsconfig.json'), ts.sys.readFile)
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, ROOT)
  // Only the exports map's entries resolve, as for a user of the package: no `sluice/*` deep imports.
  const entries: Record<string, string[]> = {}
  for (const entry of packageEntries()) entries[entry === '.' ? 'sluice' : `sluice/${entry.slice(2)}`] = [`./src/${entry === '.' ? 'index' : entry.slice(2)}.ts`]
  const options: ts.CompilerOptions = { ...parsed.options, paths: entries, baseUrl: ROOT, noEmit: true, noUnusedLocals: false }
  const virtual = new Map<string, DocExample>()
  // Each snippet sits beside the file it documents, so an internal helper's example imports it as `./name.js`.
  examples.forEach((example, i) => virtual.set(join(ROOT, dirname(example.file), `.doc-example-${i}.ts`), example))
  const host = ts.createCompilerHost(options)
  const readFile = host.readFile.bind(host)
  const fileExists = host.fileExists.bind(host)
  const getSourceFile = host.getSourceFile.bind(host)
  const text = (name: string): string | undefined => {
    const ex = virtual.get(name)
    if (!ex) return undefined
    // A snippet without import/export would share the global scope with every other snippet.
    return /^\s*(import|export)\b/m.test(ex.code) ? ex.code : `${ex.code}\nexport {}\n`
  }
  host.readFile = (name) => text(name) ?? readFile(name)
  host.fileExists = (name) => virtual.has(name) || fileExists(name)
  host.getSourceFile = (name, version, onError, create) => {
    const code = text(name)
    return code === undefined ? getSourceFile(name, version, onError, create) : ts.createSourceFile(name, code, version, true)
  }
  const program = ts.createProgram([...virtual.keys()], options, host)
  const failures: string[] = []
  for (const [name, example] of virtual) {
    const source = program.getSourceFile(name)!
    const diagnostics = [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)]
    const first = diagnostics.slice(0, 3).map((d) => {
      const line = d.start === undefined ? 0 : source.getLineAndCharacterOfPosition(d.start).line
      return `  line ${line + 1}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`
    })
    // A page of Markdown shows the package as its users import it; only a TSDoc example may import its neighbours.
    if (example.file.endsWith('.md')) {
      for (const { fileName } of ts.preProcessFile(example.code, true, true).importedFiles) {
        if (/^[./]/.test(fileName)) first.push(`  imports '${fileName}': a Markdown example imports the package ('sluice', 'sluice/postgres' …), not its files`)
      }
    }
    if (first.length > 0) failures.push(`${example.where}\n${first.join('\n')}`)
  }
  return failures
}

/** The `exports` keys of package.json that are code entries (`.`, `./postgres` …), not `./package.json`. */
function packageEntries(): string[] {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, unknown> }
  return Object.keys(pkg.exports).filter((key) => key !== './package.json')
}

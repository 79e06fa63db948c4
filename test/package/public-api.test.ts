import { readFileSync } from 'node:fs'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'
import pkg from '../../package.json' with { type: 'json' }

// The public surface is decided in docs/public-api.md, and this keeps the page and the entries in
// step: every name an entry exports (types included) is listed under its entry, and no name the page
// says was made internal is exported again. Adding an export means saying there what it is for.
// (Regression: `sluice` exported ~250 names, helpers such as `matchColumn` and `quoteIdent` among them.)

const page = readFileSync('docs/public-api.md', 'utf8')
const ENTRY_FILES: Record<string, string> = Object.fromEntries(
  Object.keys(pkg.exports)
    .filter((key) => key !== './package.json')
    .map((key) => (key === '.' ? ['sluice', 'src/index.ts'] : [`sluice/${key.slice(2)}`, `src/${key.slice(2)}.ts`])),
)

/** Each entry's exported names, split into values and types-only, read by the type checker. */
function exportsOf(files: readonly string[]): Map<string, { values: Set<string>; types: Set<string> }> {
  const program = ts.createProgram(files, {
    module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler, target: ts.ScriptTarget.ES2022, strict: true, noEmit: true, skipLibCheck: true,
  })
  const checker = program.getTypeChecker()
  const out = new Map<string, { values: Set<string>; types: Set<string> }>()
  for (const file of files) {
    const module = checker.getSymbolAtLocation(program.getSourceFile(file)!)!
    const names = { values: new Set<string>(), types: new Set<string>() }
    for (const symbol of checker.getExportsOfModule(module)) {
      const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol
      // `export type { X }` of a class is an alias that only carries its type meaning.
      const typeOnly = symbol.declarations?.some((d) => ts.isExportSpecifier(d) && (d.isTypeOnly || d.parent.parent.isTypeOnly)) ?? false
      ;(target.flags & ts.SymbolFlags.Value && !typeOnly ? names.values : names.types).add(symbol.name)
    }
    out.set(file, names)
  }
  return out
}

/** The text of the page between a heading or bullet that starts with `from` and the next one of its kind. */
function section(from: string, next: RegExp): string {
  const start = page.indexOf(from)
  if (start === -1) throw new Error(`docs/public-api.md has no ${JSON.stringify(from)}`)
  const rest = page.slice(start + from.length)
  const end = rest.search(next)
  return end === -1 ? rest : rest.slice(0, end)
}

const listed = (text: string, name: string) => text.includes(`\`${name}\``)

describe('docs/public-api.md and the entries', () => {
  const entries = exportsOf(Object.values(ENTRY_FILES))
  const surface = (entry: string) => entries.get(ENTRY_FILES[entry]!)!

  it('lists every name `sluice` exports in its section', () => {
    const text = section('## `sluice`, by purpose', /\n## /)
    const names = [...surface('sluice').values, ...surface('sluice').types]
    expect(names.length).toBeGreaterThan(100)
    expect(names.filter((n) => !listed(text, n))).toEqual([])
  })

  it('lists every name of each subpath entry in its bullet', () => {
    for (const entry of Object.keys(ENTRY_FILES).filter((e) => e !== 'sluice')) {
      const text = section(`- \`${entry}\`:`, /\n- `|\n## /)
      const names = [...surface(entry).values, ...surface(entry).types]
      expect(names.filter((n) => !listed(text, n)), entry).toEqual([])
    }
  })

  it('exports none of the names the page lists as made internal', () => {
    const rows = section('## Removed from the entries, and why', /\n## /)
      .split('\n')
      .filter((line) => /^\| `/.test(line))
      .map((line) => line.split('|').map((cell) => cell.trim()))
    expect(rows.length).toBeGreaterThan(20)
    const exported: string[] = []
    for (const [, names = '', entryCell = ''] of rows) {
      const entry = /`([^`]+)`/.exec(entryCell)![1]!
      const { values, types } = surface(entry)
      // Names after "type"/"types" were removed as types; the others as values (`RowsMessage` stays a type).
      const typeFrom = names.search(/\btypes? `/)
      for (const match of names.matchAll(/`([^`]+)`/g)) {
        const name = match[1]!
        const asType = typeFrom !== -1 && match.index > typeFrom
        if (values.has(name) || (asType && types.has(name))) exported.push(`${entry}: ${name}`)
      }
    }
    expect(exported).toEqual([])
  })
})

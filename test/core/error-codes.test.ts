import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'

// Regression: `SluiceErrorCode` ended in `(string & {})`, so any text type-checked as a code and
// `FILE_PARSE`, thrown 6 times, was never declared. The union is closed now; this test reads every
// file of src/ and fails on a code written in a `SluiceError` construction (or an error record's
// `code:`) that the union lacks, so a new code is declared, with its doc comment, where users read them.

const SRC = 'src'

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  )
}

const parse = (file: string, text: string) => ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true)

/** The codes `SluiceErrorCode` declares, read from its type alias. */
function declaredCodes(): Set<string> {
  const file = parse('sluice-error.ts', readFileSync(join(SRC, 'core', 'sluice-error.ts'), 'utf8'))
  const codes = new Set<string>()
  file.forEachChild((node) => {
    if (!ts.isTypeAliasDeclaration(node) || node.name.text !== 'SluiceErrorCode') return
    const union = ts.isUnionTypeNode(node.type) ? node.type.types : [node.type]
    for (const member of union) {
      if (!ts.isLiteralTypeNode(member) || !ts.isStringLiteral(member.literal)) throw new Error(`SluiceErrorCode has a member that is not a string literal: ${member.getText(file)}`)
      codes.add(member.literal.text)
    }
  })
  return codes
}

/** Every upper-case string literal inside `expression` (a ternary between two codes yields both). */
function literalsIn(expression: ts.Node): string[] {
  if (ts.isStringLiteral(expression) || ts.isNoSubstitutionTemplateLiteral(expression)) return /^[A-Z][A-Z0-9_]*$/.test(expression.text) ? [expression.text] : []
  const out: string[] = []
  expression.forEachChild((child) => void out.push(...literalsIn(child)))
  return out
}

/**
 * The codes written as `code: '<X>'` in an object literal of `text`: the options of
 * `new SluiceError({ … })`, a `toJSON()`-shaped fallback, or an error record for `_sluice_errors`.
 * Comments (TSDoc examples) are not code and are not read.
 */
function writtenCodes(file: string, text: string): { code: string; where: string }[] {
  const source = parse(file, text)
  const out: { code: string; where: string }[] = []
  const visit = (node: ts.Node): void => {
    if (ts.isPropertyAssignment(node) && ts.isIdentifier(node.name) && node.name.text === 'code' && ts.isObjectLiteralExpression(node.parent)) {
      const line = source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1
      for (const code of literalsIn(node.initializer)) out.push({ code, where: `${file}:${line}` })
    }
    node.forEachChild(visit)
  }
  visit(source)
  return out
}

describe('SluiceErrorCode', () => {
  const declared = declaredCodes()
  const written = sourceFiles(SRC).flatMap((file) => writtenCodes(file, readFileSync(file, 'utf8')))

  it('declares every code that src/ writes in an error', () => {
    expect(written.filter((w) => !declared.has(w.code)).map((w) => `${w.code} (${w.where})`)).toEqual([])
  })

  it('finds the codes of the whole tree, FILE_PARSE among them', () => {
    const codes = new Set(written.map((w) => w.code))
    expect(codes.has('FILE_PARSE')).toBe(true)
    expect(codes.has('CONFIG_INVALID')).toBe(true)
    expect(codes.size).toBeGreaterThan(40)
  })

  it('reads codes in constructions and ternaries, and not in comments', () => {
    const planted = [
      "/** new SluiceError({ code: 'IN_A_COMMENT', message: '' }) */",
      "throw new SluiceError({ code: 'PLANTED_CODE', message: 'x' })",
      "const e = new SluiceError({ message: 'y', code: slow ? 'PLANTED_TIMEOUT' : 'PLANTED_NETWORK' })",
    ].join('\n')
    expect(writtenCodes('planted.ts', planted).map((w) => w.code)).toEqual(['PLANTED_CODE', 'PLANTED_TIMEOUT', 'PLANTED_NETWORK'])
  })
})

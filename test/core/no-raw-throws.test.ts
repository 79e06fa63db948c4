import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'

// Regression: about 30 raw `Error`/`TypeError`/`RangeError` throws (batch-to-arrow, duckdb-chunks,
// Batch#withColumn, the cron check, …) reached users without a `code`, so retry, reports and
// `_sluice_errors` could only show their text. Every `throw new X(…)` in src/ must build a
// `SluiceError`, or be one of the sites below: a programmer's invariant that input can't reach, or a
// private marker caught next to where it is thrown. A new raw throw fails here until it is coded, or
// listed with its reason.
const ALLOWED: Record<string, { readonly error: string; readonly why: string }> = {
  'src/fleet/bullmq-signal.ts': { error: 'bull[kind]', why: "BullMQ's own control errors (waiting for children, delayed, unrecoverable), recognised by class: they steer a job, they are not sluice failures" },
  'src/core/exact-decimal.ts': { error: 'SyntaxError', why: 'the documented error of `new ExactDecimal(text)`, as JSON.parse throws for the same text (test/core/lossy-numbers.test.ts pins it)' },
  'src/core/parse-json-exact.ts': { error: 'SyntaxError', why: "JSON.parse's own error, as on its fallback path (pinned by test/core/parse-json-exact.test.ts); callers of outside text wrap it in HTTP_BODY / FILE_PARSE" },
  'src/core/bigint-json.ts': { error: 'TypeError', why: "JSON.stringify's error for a cycle, caught by json-text and describe-unstorable, which code it" },
  'src/schema-drift/cast-column.ts': { error: 'RangeError', why: 'internal invariant: the drift decision nulls or refuses misfits before it casts' },
  'src/sink/sqlite/sqlite-writer.ts': { error: 'Error', why: 'internal invariant: a rebuilt row index maps every key to its row' },
  'src/sink/sqlite/sqlite-row-index.ts': { error: 'Error', why: 'internal invariant (one `invariant()` helper): a rebuilt row index maps every key to its row, and the runs a writer lists are there in its transaction' },
  'src/sink/sqlite/sqlite-thread-worker.ts': { error: 'Error', why: 'internal invariant: only sqlite({ thread: true }) starts the file, as a worker' },
  'src/http/read-body.ts': { error: 'UnsupportedCoding', why: 'a private marker, caught in readBody and turned into the caller coded error' },
  'src/schedule/run-schedule.ts': { error: 'RunFailed', why: 'a private marker for retry(), caught in runSchedule' },
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  )
}

/** The error built by `new X(…)` or `Object.assign(new X(…), …)`, if `node` is one of those. */
function built(node: ts.Expression): ts.NewExpression | undefined {
  if (ts.isNewExpression(node)) return node
  if (ts.isCallExpression(node) && node.expression.getText() === 'Object.assign' && node.arguments[0] && ts.isNewExpression(node.arguments[0])) return node.arguments[0]
  return undefined
}

/**
 * `file:line ErrorClass` for each error that is not a SluiceError and is thrown where it is built:
 * `throw new X(…)`, `throw Object.assign(new X(…), …)`, or a promise's `reject(new X(…))`.
 */
function rawThrows(file: string, text: string): { where: string; error: string }[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true)
  const out: { where: string; error: string }[] = []
  const visit = (node: ts.Node): void => {
    const thrown = ts.isThrowStatement(node) && node.expression
      ? built(node.expression)
      : ts.isCallExpression(node) && /(^|\.)reject$/.test(node.expression.getText(source)) && node.arguments[0]
        ? built(node.arguments[0])
        : undefined
    const error = thrown?.expression.getText(source)
    if (error !== undefined && error !== 'SluiceError') out.push({ where: `${file}:${source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1}`, error })
    node.forEachChild(visit)
  }
  visit(source)
  return out
}

describe('throws in src/', () => {
  const found = sourceFiles('src').flatMap((file) => rawThrows(file.split('\\').join('/'), readFileSync(file, 'utf8')))
  const fileOf = (where: string) => where.slice(0, where.lastIndexOf(':'))

  it('throw SluiceError, except at the listed invariant sites', () => {
    const unlisted = found.filter((t) => ALLOWED[fileOf(t.where)]?.error !== t.error)
    expect(unlisted.map((t) => `${t.where} throws a raw ${t.error}`)).toEqual([])
    // One site a file: a second raw throw next to a listed one is a new site, not the listed one.
    const twice = found.filter((t, i) => found.findIndex((u) => fileOf(u.where) === fileOf(t.where)) !== i)
    expect(twice.map((t) => `${t.where} throws a raw ${t.error}`)).toEqual([])
  })

  it('list no site that is gone (a fixed site leaves the list)', () => {
    const sites = new Set(found.map((t) => fileOf(t.where)))
    expect(Object.keys(ALLOWED).filter((file) => !sites.has(file))).toEqual([])
  })

  it('finds a raw throw, and not one in a comment or a coded one', () => {
    const planted = [
      "/** throw new Error('doc') */",
      "throw new SluiceError({ code: 'INTERNAL', message: 'x', cause: new Error('below') })",
      "if (x) throw new RangeError('raw')",
      "throw Object.assign(new Error('reset'), { code: 'ECONNRESET' })",
      "new Promise((resolve, reject) => reject(new TypeError('late')))",
      "controller.abort(new Error('a reason, not a throw'))",
    ].join('\n')
    expect(rawThrows('planted.ts', planted)).toEqual([
      { where: 'planted.ts:3', error: 'RangeError' },
      { where: 'planted.ts:4', error: 'Error' },
      { where: 'planted.ts:5', error: 'TypeError' },
    ])
  })
})

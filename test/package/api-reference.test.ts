import { expect, it } from 'vitest'
import { devTool } from './dev-tool.js'

// `npm run docs` builds the API reference from the TSDoc of the package's entries (typedoc.json). TypeDoc
// warns when a public declaration names a type no entry exports (a user could not name it either), and
// on a broken `{@link}`; the config treats warnings as errors, and this runs it without writing files.
it('npm run docs: TypeDoc documents every entry with no warning (no public type refers to an unexported one)', () => {
  const { ok, output } = devTool('typedoc', 'typedoc', ['--emit', 'none'], process.cwd())
  expect(ok, output).toBe(true)
  expect(output).not.toMatch(/\[warning\]|\[error\]/)
}, 300_000)

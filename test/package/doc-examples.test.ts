import { beforeAll, describe, expect, it } from 'vitest'
import { collectExamples, typecheckExamples, type DocExample } from './doc-examples.js'

// Regression: 66 of the TSDoc and README examples that imported from 'sluice' did not compile (names the
// package doesn't export, such as `marKeys`, `logAlert`, `compileStopRules`): an example that doesn't
// compile teaches the wrong API. Each ```ts block is compiled as its own module against the package's
// entries; an internal helper's example imports it from its own folder (`./x.js`), never from 'sluice'.
describe('documentation examples', () => {
  const examples = collectExamples()
  // Planted examples, compiled in the same program (one program costs ~40 s): the check must catch each bad one.
  const probe = (n: number, file: string, code: string): DocExample => ({ where: `probe ${n} (${file})`, file, code })
  const probes = [
    probe(1, 'README.md', "import { memory } from 'sluice'\nconst sink = memory()"),
    probe(2, 'README.md', "import { hashColumns } from 'sluice'\nhashColumns({ columns: 'users.email' })"),
    probe(3, 'README.md', "import { marKeys } from 'sluice'\nmarKeys"),
    probe(4, 'README.md', "import { marKeys } from './src/mar/key-hash.js'\nmarKeys"),
    probe(5, 'README.md', "import { Batch } from 'sluice/core/batch.js'\nBatch"),
    probe(6, 'src/mar/key-hash.ts', "import { batchFromRows } from 'sluice'\nimport { marKeys } from './key-hash.js'\nmarKeys(batchFromRows([{ id: 1 }]), ['id'])"),
    probe(7, 'src/mar/key-hash.ts', "import { marKeys } from './key-hash.js'\nmarKeys(1)"),
  ]
  let failures: string[] = []
  beforeAll(() => {
    failures = typecheckExamples([...examples, ...probes])
  }, 300_000)

  it('finds the examples of the README, docs/ and the TSDoc of src/', () => {
    expect(examples.some((e) => e.file === 'README.md')).toBe(true)
    expect(examples.filter((e) => e.file.startsWith('src/')).length).toBeGreaterThan(200)
  })

  it('every example typechecks against the package', () => {
    expect(failures.filter((f) => !f.startsWith('probe '))).toEqual([])
  })

  it('fails an example with a wrong argument, an internal name from sluice, a deep path, or (in Markdown) a source file', () => {
    const failed = failures.filter((f) => f.startsWith('probe ')).map((f) => f.split('\n')[0])
    expect(failed).toEqual(['probe 2 (README.md)', 'probe 3 (README.md)', 'probe 4 (README.md)', 'probe 5 (README.md)', 'probe 7 (src/mar/key-hash.ts)'])
  })
})

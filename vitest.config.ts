import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // vitest's default is one fork per CPU minus one: a single fork on these 2-CPU machines. Many
    // files wait on child processes, servers and databases, so two at a time keep both cores busy.
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
  },
})

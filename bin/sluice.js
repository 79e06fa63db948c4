#!/usr/bin/env node
// The `sluice` command. Runs the built CLI (dist/cli.js) when the package is built; in a
// development checkout it runs the TypeScript sources through tsx instead, so no build step is needed.
import { existsSync } from 'node:fs'

const dist = new URL('../dist/cli.js', import.meta.url)
let cli
if (existsSync(dist)) {
  cli = await import(dist.href)
} else {
  // Both hooks, as the tsx CLI does: the CommonJS one compiles .ts files of folders without "type": "module".
  const [{ register }, { register: registerCjs }] = await Promise.all([import('tsx/esm/api'), import('tsx/cjs/api')])
  register()
  registerCjs()
  cli = await import(new URL('../src/cli/main.ts', import.meta.url).href)
}
const code = await cli.main(process.argv.slice(2))
// Exit now: a connector may leave keep-alive sockets or timers behind, and the sync is done.
process.exit(code)

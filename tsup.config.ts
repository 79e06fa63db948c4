import { cpSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { defineConfig, type Options } from 'tsup'

/**
 * The `sluice serve` dashboard is plain files (src/serve/page: HTML, an ES module, CSS) that
 * `servePage` reads at run time from `<bundle dir>/serve-page/`: copy them next to whatever this
 * build writes (`dist/`, or the out dir a test builds into), after each build.
 */
const PAGE_FILES = ['index.html', 'app.js', 'style.css']
const copyServePage: NonNullable<Options['esbuildPlugins']>[number] = {
  name: 'copy-serve-page',
  setup(build) {
    build.onEnd(() => {
      const outdir = build.initialOptions.outdir
      if (!outdir) return
      mkdirSync(join(outdir, 'serve-page'), { recursive: true })
      for (const file of PAGE_FILES) cpSync(join('src', 'serve', 'page', file), join(outdir, 'serve-page', file))
    })
  },
}

// The library ships ESM + CJS + .d.ts; the CLI is only ever run as ESM (bin/sluice.js imports dist/cli.js).
// `sqlite-thread-worker` is no import path: `sqlite({ thread: true })` starts it by file, next to the bundle.
export default defineConfig([
  {
    entry: {
      index: 'src/index.ts', postgres: 'src/postgres.ts', mysql: 'src/mysql.ts', duckdb: 'src/duckdb.ts', files: 'src/files.ts', arrow: 'src/arrow.ts', bullmq: 'src/bullmq.ts', serve: 'src/serve.ts',
      'sqlite-thread-worker': 'src/sink/sqlite/sqlite-thread-worker.ts',
    },
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node20',
    splitting: false,
    esbuildPlugins: [copyServePage],
  },
  {
    entry: { cli: 'src/cli/main.ts' },
    format: ['esm'],
    sourcemap: true,
    target: 'node20',
    splitting: false,
    esbuildPlugins: [copyServePage],
  },
])

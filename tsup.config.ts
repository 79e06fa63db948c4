import { defineConfig } from 'tsup'

// The library ships ESM + CJS + .d.ts; the CLI is only ever run as ESM (bin/sluice.js imports dist/cli.js).
// `sqlite-thread-worker` is no import path: `sqlite({ thread: true })` starts it by file, next to the bundle.
export default defineConfig([
  {
    entry: {
      index: 'src/index.ts', postgres: 'src/postgres.ts', mysql: 'src/mysql.ts', duckdb: 'src/duckdb.ts', files: 'src/files.ts', arrow: 'src/arrow.ts', bullmq: 'src/bullmq.ts',
      'sqlite-thread-worker': 'src/sink/sqlite/sqlite-thread-worker.ts',
    },
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node20',
    splitting: false,
  },
  {
    entry: { cli: 'src/cli/main.ts' },
    format: ['esm'],
    sourcemap: true,
    target: 'node20',
    splitting: false,
  },
])

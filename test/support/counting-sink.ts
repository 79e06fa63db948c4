import type { Sink } from '../../src/index.js'

/**
 * The sink, with the key of every row written handed to `onRow` (what reached the destination,
 * as opposed to what a stage saw: sync() reads one message ahead, and a stop drops that one).
 */
export function countingSink(inner: Sink, onRow: (id: unknown) => void): Sink {
  return {
    ...inner,
    async write(args) {
      const m = args.message
      if (m.kind === 'records') for (const row of m.batch.toRows()) onRow(row.id)
      return inner.write(args)
    },
  }
}

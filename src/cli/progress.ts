import type { Stage } from '../contracts/stage.js'
import { count, humanDuration } from './text-table.js'
import { matchColumn } from '../core/match-column.js'

/** Options of {@link progress}. */
export interface ProgressOptions {
  readonly write: (text: string) => void
  /** A terminal gets one live line rewritten in place; a pipe or file gets a plain line now and then. */
  readonly tty: boolean
  /** How often to redraw (default 250 ms on a terminal, 5000 ms otherwise). */
  readonly intervalMs?: number
  readonly now?: () => number
}

/** A running progress display: a pass-through stage that counts rows, fed by sync's `checkpoint` event. */
export interface Progress {
  /** Put it last in the stages: it sees every row the sink gets, and any error the source or a stage throws. */
  readonly stage: Stage
  /** Call from sync's `checkpoint` event. */
  checkpoint(event: { readonly rows: number }): void
  /** Stops redrawing and clears the live line. */
  stop(): void
  /** The error thrown through the stage, with its stack (for `--verbose`). */
  readonly failure: unknown
}

/**
 * Shows how a long sync is going: the current table, rows read, rows per second and elapsed
 * time, plus the checkpoints committed. On a terminal the line is redrawn in place every
 * `intervalMs`; otherwise a plain line is printed every `intervalMs` while rows keep coming, so
 * CI logs show life without flooding.
 *
 * @example
 * ```ts
 * import { progress } from './progress.js'
 * const p = progress({ write: (t) => process.stderr.write(t), tty: process.stderr.isTTY === true })
 * // sync({ …, stages: [p.stage], on: { checkpoint: (e) => p.checkpoint(e) } }); then p.stop()
 * ```
 */
export function progress(options: ProgressOptions): Progress {
  const now = options.now ?? Date.now
  const started = now()
  let table = ''
  let rows = 0
  let committed = 0
  let checkpoints = 0
  let printedRows = 0 // a plain line only once rows flow
  let drawn = false
  let failure: unknown

  const line = () => {
    const elapsed = now() - started
    const rate = elapsed > 0 ? (rows / elapsed) * 1000 : 0
    const where = table === '' ? 'starting' : table
    return `${where} · ${count(rows)} rows · ${count(rate)} rows/s · ${humanDuration(elapsed)} · ${count(checkpoints)} checkpoints (${count(committed)} rows committed)`
  }
  const render = () => {
    if (options.tty) {
      options.write(`\r\x1b[2K${line()}`)
      drawn = true
    } else if (rows !== printedRows) {
      printedRows = rows
      options.write(`${line()}\n`)
    }
  }
  const timer = setInterval(render, options.intervalMs ?? (options.tty ? 250 : 5000))
  timer.unref()

  const stage: Stage = (messages) =>
    (async function* () {
      try {
        for await (const message of messages) {
          if (message.kind === 'records' && matchColumn(message) === undefined) { // a match delete names parents, not rows
            table = message.table
            rows += message.batch.length
          }
          yield message
        }
      } catch (error) {
        failure = error
        throw error
      }
    })()

  return {
    stage,
    checkpoint(event) {
      checkpoints++
      committed = event.rows
    },
    stop() {
      clearInterval(timer)
      if (drawn) options.write('\r\x1b[2K')
      drawn = false
    },
    get failure() {
      return failure
    },
  }
}

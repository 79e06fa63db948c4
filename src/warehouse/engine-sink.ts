import { parseState, serializeState } from '../core/json-state.js'
import { SluiceError } from '../core/sluice-error.js'
import type { TableLayout } from '../sink/layout/table-layout.js'
import type { SinkOpenArgs, SinkWriter, TableDescription } from '../contracts/sink.js'
import type { WarehouseDriver } from './driver.js'
import { WarehouseRun } from './engine.js'

/** A driver for one sync, and how to give its connection back when the sync ends (`failure`: why it ended badly, if it did). */
export interface DriverSession {
  readonly driver: WarehouseDriver
  release(failure?: unknown): Promise<void> | void
}

/** The writer methods of an engine-driven sink, to spread into it. */
export type EngineWriterMethods = Required<Pick<SinkWriter, 'open' | 'write' | 'checkpoint' | 'close' | 'recordErrors'>>

/** The writer role of a destination, run by the engine; `run()` is the open sync's run (for MAR and other writes in its transaction). */
export interface EngineWriter {
  readonly methods: EngineWriterMethods
  run(): WarehouseRun
  /** The open sync's run, if a sync is open. */
  active(): WarehouseRun | undefined
}

/**
 * The sink methods every engine-driven destination shares: `open` starts a driver session and
 * the engine's run on it, `write`/`checkpoint`/`recordErrors`/`close` go to the run, and `close`
 * always releases the session. `where` names the state's location in errors (e.g. ` in schema raw`).
 *
 * @example
 * ```ts
 * import Database from 'better-sqlite3'
 * import { engineWriter } from './engine-sink.js'
 * import { sqliteDriver } from '../sink/sqlite/sqlite-driver.js'
 * const db = new Database(':memory:')
 * const writer = engineWriter('sqlite', async () => ({ driver: sqliteDriver(db), release: () => undefined }))
 * ```
 */
export function engineWriter(name: string, start: (args: SinkOpenArgs) => Promise<DriverSession>, where = ''): EngineWriter {
  let session: DriverSession | undefined
  let current: WarehouseRun | undefined
  const run = (): WarehouseRun => {
    if (!current) throw new SluiceError({ code: 'DESTINATION_WRITE', message: `${name} sink used before open() or after close()` })
    return current
  }
  const methods: EngineWriterMethods = {
    async open(args) {
      const started = await start(args)
      try {
        const opened = await WarehouseRun.open(started.driver, args)
        session = started
        current = opened.run
        return opened.state === undefined ? {} : { state: parseState(opened.state, `_sluice_state of ${args.connectorId}${where}`) }
      } catch (error) {
        await started.release(error)
        throw error
      }
    },
    // Async, so that misuse rejects as every other failure does rather than throwing at the call.
    write: async ({ message }) => run().write(message),
    // The text sync() made once for this checkpoint (op.checkpoint), when given: never serialised twice.
    checkpoint: async ({ state, serialized }) => run().checkpoint(serialized ?? serializeState(state)),
    recordErrors: async ({ errors }) => run().recordErrors(errors),
    async close({ status, report }) {
      const ending = run()
      const ended = session!
      let failure: unknown
      try {
        await ending.close(status === 'succeeded', report)
      } catch (error) {
        failure = error ?? new Error('close failed')
        throw error
      } finally {
        current = undefined
        session = undefined
        await ended.release(failure)
      }
    },
  }
  return { methods, run, active: () => current }
}

/** A stored layout as `Sink.describe` reports it. */
export function describeLayout(layout: TableLayout): TableDescription {
  return { table: layout.table, name: layout.name, primaryKey: layout.primaryKey, mode: layout.mode, columns: layout.columns }
}

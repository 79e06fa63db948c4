import { randomUUID } from 'node:crypto'
import type { ErrorsMessage, TableDescription } from '../contracts/sink.js'
import type { SourceReadArgs } from '../contracts/source.js'
import type { StageContext } from '../contracts/stage.js'
import type { SyncReport, SyncStatus, TableCounts } from '../contracts/sync-report.js'
import type { RecordError } from '../core/error-record.js'
import { checkpointText } from '../core/json-state.js'
import type { Message, RecordsMessage, TruncateMessage } from '../core/message.js'
import { matchColumn } from '../core/match-column.js'
import { SluiceError, toSluiceError } from '../core/sluice-error.js'
import type { TableSpec } from '../core/table-spec.js'
import { meteredSink } from '../mar/metered-sink.js'
import { checkPrimaryKey } from './check-primary-key.js'
import { checkSyncOptions } from './check-sync-options.js'
import { ErrorChannel } from './error-channel.js'
import { prefetch } from './prefetch.js'
import { StopController } from './stop-controller.js'
import { syncCatalog } from './sync-catalog.js'
import type { SyncEvents, SyncOptions } from './sync-options.js'

const ZERO: TableCounts = { upserts: 0, updates: 0, deletes: 0, truncates: 0 }

/**
 * Runs one sync: reads the source from the last acknowledged state, pipes messages through the
 * stages into the destination, commits at each checkpoint, and returns a report. It never
 * throws for a failed sync (the report has `status: 'failed'` and the error); the saved state
 * is always that of the last checkpoint the destination acknowledged.
 *
 * Options that can't be honoured are refused before anything runs: `sync()` throws (rejects
 * with) a `SluiceError` `CONFIG_INVALID` naming the option — an unknown option name, a
 * missing or wrong `source`, a `destination` that is not a sink, `stages` that is not an array
 * of stages, a malformed `deadline` or `grace`, an unknown event in `on`, bad `mar` options.
 * What only reading can tell (a source's own configuration, its tables) fails the report instead.
 *
 * @example
 * ```ts
 * import { fromIterable, sqlite, sync } from 'sluice'
 * const report = await sync({
 *   source: fromIterable('users', [{ id: 1, name: 'Ada' }], { primaryKey: ['id'] }),
 *   destination: sqlite({ path: 'warehouse.db' }),
 *   deadline: '50s',
 * })
 * console.log(report.status, report.rows)
 * ```
 */
export async function sync(options: SyncOptions): Promise<SyncReport> {
  const { source, deadlineMs, graceMs: givenGraceMs } = checkSyncOptions(options)
  let sink = options.destination
  // MAR metering wraps the destination: each batch's key hashes go into its open transaction.
  if (options.mar !== undefined) sink = meteredSink(sink, options.mar, { requestStop: (reason) => stop.request(reason), threshold: (event) => emit('marThreshold', event) })
  const connectorId = options.connectorId ?? source.id ?? 'default'
  const configuration = options.configuration ?? {}
  const graceMs = givenGraceMs ?? Math.min(10_000, deadlineMs === undefined ? 10_000 : deadlineMs / 10)
  const syncId = randomUUID()
  const started = Date.now()
  const counts: Record<string, TableCounts> = {}
  const report: SyncReport = {
    status: 'failed', connectorId, syncId, startedAt: new Date(started).toISOString(), endedAt: '', durationMs: 0,
    rows: 0, checkpoints: 0, schemaChanges: 0, tables: counts,
  }
  const stop = new StopController({ signal: options.signal, deadlineMs, graceMs })
  const emit = <K extends keyof SyncEvents>(name: K, event: Parameters<NonNullable<SyncEvents[K]>>[0]) => {
    try {
      ;(options.on?.[name] as ((e: typeof event) => void) | undefined)?.(event)
    } catch {
      // Event handlers are the user's; a broken one must not change the outcome of the sync.
    }
  }

  let opened = false
  let status: SyncStatus = 'failed'
  let error: SluiceError | undefined
  let phase: 'discover' | 'open' | 'run' = 'discover'
  try {
    const stages = options.stages ?? []
    const catalog = await syncCatalog(source, stages, configuration)
    const tables = catalog.source.tables
    const selection = catalog.source.selection
    // Every table the sync writes has counts, zeros included: `report.tables.orders` on a quiet run.
    for (const t of catalog.destinationTables) counts[t.table] = { ...ZERO }
    const specs = new Map(tables.map((t) => [t.table, t]))
    phase = 'open'
    const { state: sinkState } = await sink.open({ connectorId, syncId, tables: catalog.destinationTables, ...(options.fleet ? { fleet: options.fleet } : {}) })
    opened = true
    phase = 'run'
    const state = sinkState ?? (await options.state?.load({ connectorId }))
    emit('syncStart', { connectorId, syncId, state })

    // Error records travel in the stream, each ahead of the message that was in the making when
    // it was recorded (see ErrorChannel): they commit with the checkpoint that follows them.
    const errors = new ErrorChannel()
    const recordError: RecordError = (e) => {
      errors.record(e)
      report.errors = errors.count
    }
    // `selection` (also `catalog.selection`) lets a source skip blocked tables and columns at the request.
    const readArgs: SourceReadArgs = { state, signal: stop.signal, configuration, recordError, catalog: catalog.source, ...(selection ? { selection } : {}) }
    let messages = source.read(readArgs)
    let described: Promise<readonly TableDescription[]> | undefined
    const describeDestination = () => (described ??= sink.describe ? sink.describe() : Promise.resolve([]))
    const context: StageContext = { connectorId, syncId, tables, signal: stop.signal, recordError, describeDestination, ...(selection ? { selection } : {}) }
    stages.forEach((stage, i) => {
      messages = stage(messages, catalog.seesSourceNames[i] ? { ...context, sourceTables: catalog.declared } : context)
    })
    // The next message is made while the sink writes this one (see `prefetch`).
    // Past a checkpoint only for a source that says it only reads there (`Source.readAhead`).
    const stream = prefetch(errors.interleave(messages), source.readAhead ? {} : { barrier: (m: Message | ErrorsMessage) => m.kind === 'checkpoint' })

    status = 'succeeded'
    // A MAR budget used up before the first row (onExceed: 'stop'): end without reading.
    if (stop.reason === 'mar_budget') status = 'stopped'
    else for await (const message of stream) {
      if (message.kind === 'errors') {
        // A sink without error records (no `recordErrors`) gets none: they are counted in the report only.
        if (sink.recordErrors) await sink.write({ message })
        continue
      }
      if (message.kind === 'checkpoint') {
        // Serialised once: by op.checkpoint when it made the message, else here; sink and store reuse the text.
        const serialized = checkpointText(message)
        await sink.checkpoint({ state: message.state, serialized })
        await options.state?.save({ connectorId, state: message.state, serialized })
        report.checkpoints++
        emit('checkpoint', { connectorId, syncId, state: message.state, rows: report.rows })
        if (stop.requested) {
          status = 'stopped'
          // Committed: the message in the making is dropped, so don't wait for a slow request to finish it.
          stop.abandon()
          break
        }
        continue
      }
      // A match delete names parents, not rows: it is checked by the sink and counted nowhere.
      const matching = matchColumn(message) !== undefined
      if (message.kind === 'records' && !matching) checkRecords(message, specs.get(message.table))
      else if (message.kind === 'truncate') checkTruncate(message)
      const applied = await sink.write({ message })
      // What the sink applied is what changed: a schema message for a column that already exists
      // changes nothing. A sink that reports nothing (returns void) applied the message as given.
      const changes = applied ?? (message.kind === 'schema' ? [{ table: message.table, change: message.change }] : [])
      for (const change of changes) {
        report.schemaChanges++
        emit('schemaChange', { connectorId, table: change.table, change: change.change })
      }
      const table = (counts[message.table] ??= { ...ZERO })
      if (message.kind === 'records' && !matching) {
        const n = message.batch.length
        report.rows += n
        if (message.op === 'upsert') table.upserts += n
        else if (message.op === 'update') table.updates += n
        else table.deletes += n
      } else if (message.kind === 'truncate') table.truncates++
    }
    if (status === 'succeeded' && stop.aborted) status = 'stopped'
  } catch (thrown) {
    if (stop.aborted && opened) status = 'stopped'
    else {
      status = 'failed'
      error = toSluiceError(thrown, phase === 'open' ? 'DESTINATION_UNAVAILABLE' : 'SOURCE_FAILED')
    }
  } finally {
    stop.dispose()
  }

  if (source.replication) {
    // Measured after the read, whatever its outcome; a measurement that fails leaves it out rather than failing the sync.
    try {
      const replication = await source.replication()
      if (replication) report.replication = replication
    } catch {
      // The status query is informational: the sync's outcome is already decided.
    }
  }
  const ended = Date.now()
  report.status = status
  report.endedAt = new Date(ended).toISOString()
  report.durationMs = ended - started
  if (status === 'stopped') report.stopReason = stop.reason ?? 'aborted'
  if (error) report.error = error.toJSON()
  if (opened) {
    try {
      await sink.close({ status, report })
    } catch (thrown) {
      // A sink that cannot finish (e.g. the final truncate commit) fails the sync.
      report.status = 'failed'
      report.error = toSluiceError(thrown, 'DESTINATION_WRITE').toJSON()
    }
  }
  emit(report.status === 'failed' ? 'syncError' : 'syncComplete', report)
  return report
}


/** A hand-built truncate with a `when` sluice doesn't know would be applied on success: refused instead. */
function checkTruncate(message: TruncateMessage): void {
  const when: unknown = message.when
  if (when === undefined || when === 'success' || when === 'checkpoint') return
  throw new SluiceError({
    code: 'CONFIG_INVALID',
    message: `a truncate message of table ${JSON.stringify(message.table)} has when ${JSON.stringify(when)}; it must be 'success' (the default) or 'checkpoint'`,
    context: { table: message.table },
  })
}

function checkRecords(message: RecordsMessage, spec: TableSpec | undefined): void {
  if (spec?.primaryKey) checkPrimaryKey(message.batch, spec.primaryKey, message.table)
}

import type { ErrorRecord } from '../core/error-record.js'
import { matchColumn } from '../core/match-column.js'
import type { RecordsMessage, SchemaMessage, TruncateMessage } from '../core/message.js'
import { isSluiceError, SluiceError } from '../core/sluice-error.js'
import type { TableSpec } from '../core/table-spec.js'
import { DeferredTruncates } from '../sink/layout/deferred-truncates.js'
import { requireSupportedModes } from '../sink/layout/supported-modes.js'
import type { TableLayout } from '../sink/layout/table-layout.js'
import type { AppliedSchemaChange, FleetRun, SinkMessage } from '../contracts/sink.js'
import type { SyncReport } from '../contracts/sync-report.js'
import type { WarehouseDriver } from './driver.js'
import { FleetCommits } from './fleet-commits.js'
import { ReplayJournal, type Replayed } from './replay-journal.js'
import { SchemaPlan, type PlannedStep } from './schema-plan.js'

/**
 * One sync's run of the warehouse protocol on a driver — written once for every destination:
 *
 * - `open`: loads layouts, the state and the pending truncates; plans the declared tables;
 *   refuses a write mode the driver can't store (`CONFIG_INVALID`, never a downgrade).
 * - `write`: truncates are deferred (`DeferredTruncates`); `match: 'column'` deletes find rows and
 *   never create a table or a column; other messages reconcile the table's layout (declared
 *   columns at the table's first write of the run, then the batch or the schema change), apply the
 *   DDL with the layout and schema history in the same transaction, then write the rows. History
 *   tables take a write time of their own per batch; error records are written in the order they
 *   arrive.
 * - `checkpoint`: state + pending truncates + last write time, committed with the data.
 * - `close`: on success applies the deferred truncates (closing history versions), clears them and
 *   records the sync in one last commit; on failure rolls back to the last checkpoint and records it.
 * - a fleet run (`FleetRun`): every commit first holds the state row at the run's epoch (else
 *   `FENCED`); a partition run registers no truncates and writes after its parent's; a completion
 *   merges its partitions' MAR and drops their state rows in its first commit, which also applies
 *   the deferred truncates (see `FleetCommits`).
 */
export class WarehouseRun {
  readonly #driver: WarehouseDriver
  readonly #connectorId: string
  readonly #syncId: string
  readonly #truncates: DeferredTruncates
  #plan: SchemaPlan
  /** Drivers with `replayOnAlter`: what a rollback must write again. */
  readonly #journal: ReplayJournal | undefined
  #inTransaction = false
  /** The open transaction holds writes (rows, errors, MAR counts or DDL) that must commit with a checkpoint. */
  #written = false
  /** Write time of the open transaction's rows (ISO). */
  #synced = ''
  /** Tables whose pending truncate is applied at the next checkpoint (see `TruncateMessage.when`). */
  readonly #atCheckpoint = new Set<string>()
  /** This run is one writer of a fleet: its epoch, maybe a partition or a completion. */
  readonly #fleet: FleetCommits | undefined

  private constructor(driver: WarehouseDriver, args: { readonly connectorId: string; readonly syncId: string }, fleet: FleetCommits | undefined, plan: SchemaPlan, truncates: DeferredTruncates) {
    this.#driver = driver
    this.#connectorId = args.connectorId
    this.#syncId = args.syncId
    this.#fleet = fleet
    this.#plan = plan
    this.#truncates = truncates
    this.#journal = driver.capabilities.replayOnAlter ? new ReplayJournal(plan) : undefined
  }

  /**
   * Checks the declared modes, loads what the destination keeps and plans the declared tables. A
   * fleet run whose epoch is already stale fails here with `FENCED`; a partition run starts its
   * write times after its parent's pending truncates and last write.
   */
  static async open(
    driver: WarehouseDriver,
    args: { readonly connectorId: string; readonly syncId: string; readonly tables: readonly TableSpec[]; readonly fleet?: FleetRun | undefined },
  ): Promise<{ run: WarehouseRun; state?: string }> {
    requireSupportedModes(driver.name, args.tables, driver.capabilities.modes)
    const saved = await driver.load({ connectorId: args.connectorId })
    const opened = args.fleet ? await FleetCommits.open(driver, args.connectorId, args.fleet, saved) : undefined
    const truncates = new DeferredTruncates(saved.pending, opened?.lastWrite ?? saved.lastSynced)
    if (opened?.fleet.ownTruncates ?? true) for (const spec of args.tables) if (spec.mode === 'replace') truncates.replace(spec.table)
    // A table that exists gets newly declared columns at its first write (ALTER TABLE + history, in that transaction).
    // The names in use matter only to plan a declared table that doesn't exist yet (one read fewer per sync otherwise).
    const taken = args.tables.some((t) => !saved.layouts.has(t.table)) ? await driver.takenNames() : []
    const plan = new SchemaPlan(args.tables, saved.layouts, taken)
    const run = new WarehouseRun(driver, args, opened?.fleet, plan, truncates)
    return { run, ...(saved.state === undefined ? {} : { state: saved.state }) }
  }

  async write(message: SinkMessage): Promise<AppliedSchemaChange[]> {
    if (!this.#inTransaction) await this.#begin()
    if (message.kind === 'errors') {
      await this.inTransaction(() => this.#insertErrors(message.errors))
      return []
    }
    this.#journal?.remember({ message })
    if (message.kind === 'truncate') {
      this.#truncate(message)
      return []
    }
    if (matchColumn(message) !== undefined) {
      // Finds rows, never creates a table or a column.
      const layout = this.#plan.layout(message.table)
      if (layout && this.#plan.created(message.table)) await this.#writeRows(layout, message as RecordsMessage)
      return []
    }
    const planned = await this.#step(message)
    const { step, locked } = this.#fleet && planned.changes.length > 0 ? await this.#sharedStep(message, planned) : { step: planned, locked: false }
    if (this.#journal?.needsReplay(step)) return this.#replay(step)
    await this.#applyStep(step)
    if (locked && !this.#written) await this.#commitSchemaChange()
    // Also into a table not created yet: the writer then refuses the batch that lacks its key columns.
    if (message.kind === 'records') await this.#writeRows(step.after, message)
    else this.#written = true
    return step.changes.map((change) => ({ table: step.table, change }))
  }

  /**
   * A fleet run shares the destination with other writers, which may have created or changed the
   * table since this run loaded its layouts (a backfill's partitions all start on the same new
   * table). Its schema change is planned again from the committed layout; if one remains, it
   * waits for the destination's layout lock (held until this transaction ends) and is planned once
   * more from what is committed by then: no writer creates a table twice, adds a column twice or
   * saves a layout that lacks another's columns.
   */
  async #sharedStep(message: RecordsMessage | SchemaMessage, planned: PlannedStep): Promise<{ step: PlannedStep; locked: boolean }> {
    const again = async (lock: boolean): Promise<PlannedStep> => {
      const committed = await this.#guard('reading the committed table layout', { table: planned.table }, () => this.#fleet!.committedLayout(planned.table, lock))
      this.#plan.refresh(planned.table, committed.layout, committed.taken)
      return this.#plan.step(message)
    }
    const step = await again(false)
    return step.changes.length === 0 ? { step, locked: false } : { step: await again(true), locked: true }
  }

  /**
   * A fleet run's schema change (or, when another writer made it first, nothing) in a transaction
   * that holds nothing else is committed at once (fenced, as every commit): the layout lock other
   * writers wait on is held for a few statements, not until this run's next checkpoint. The table
   * or columns stay if the run fails later; its rows never commit without its state.
   */
  async #commitSchemaChange(): Promise<void> {
    await this.#holdEpoch(undefined)
    this.#inTransaction = false
    await this.#guard('committing a schema change', {}, () => this.#driver.commit({}))
    this.#journal?.committed(this.#plan)
    await this.#begin()
  }

  /** Writes error records in the open transaction (the `recordErrors` of a sink). */
  async recordErrors(errors: readonly ErrorRecord[]): Promise<void> {
    await this.write({ kind: 'errors', errors })
  }

  /**
   * Runs `work` in the open transaction (begun if needed) — for writes that must commit with the
   * data, such as MAR counts. With `replayOnAlter`, `work` runs again if the transaction is replayed.
   */
  async inTransaction<T>(work: () => Promise<T>): Promise<T> {
    if (!this.#inTransaction) await this.#begin()
    this.#journal?.remember({ redo: work })
    this.#written = true
    return work()
  }

  /**
   * Opens the transaction if none is open. Returns nothing when that happened synchronously (or
   * nothing was to be done), so a synchronous driver's caller (SQLite's MAR) may use it at once.
   */
  joinTransaction(): Promise<void> | undefined {
    if (this.#inTransaction) return undefined
    return this.#begin()
  }

  get connectorId(): string {
    return this.#connectorId
  }

  async checkpoint(stateText: string): Promise<void> {
    if (!this.#inTransaction) await this.#begin()
    if (this.#atCheckpoint.size > 0) await this.#guard('applying truncates', {}, () => this.#applyCheckpointTruncates())
    // A completion commits whole at its first commit: state, merged MAR, dropped partitions and truncates.
    if (this.#fleet?.completing) await this.#guard('completing the backfill', {}, () => this.#completeBackfill())
    const state = {
      connectorId: this.#connectorId,
      state: stateText,
      pending: this.#truncates.toJSON(),
      lastSynced: new Date(this.#truncates.current).toISOString(),
    }
    await this.#holdEpoch(undefined)
    this.#inTransaction = false
    const reopened = await this.#guard('committing a checkpoint', {}, () => this.#driver.commit({ state }))
    this.#journal?.committed(this.#plan)
    if (reopened) this.#opened()
  }

  /** On success applies deferred truncates and commits; otherwise rolls back to the last checkpoint. Records the sync either way. */
  async close(succeeded: boolean, report: SyncReport): Promise<void> {
    await this.#driver.endWrites?.()
    if (!succeeded) {
      this.#inTransaction = false
      await this.#driver.rollback()
      await this.#driver.recordSync(report)
      return
    }
    if (!this.#inTransaction) await this.#begin()
    await this.#holdEpoch(report)
    await this.#guard('finishing the sync', {}, async () => {
      try {
        await this.#finish(report)
      } catch (error) {
        // Nothing of the last transaction may commit later (nor hold a fleet's state row): roll it back now.
        this.#inTransaction = false
        await this.#driver.rollback().catch(() => undefined)
        throw error
      }
    })
  }

  /** The successful close's last transaction: a completion's merge, the deferred truncates, the state and the sync's record. */
  async #finish(report: SyncReport): Promise<void> {
    if (this.#fleet?.completing) await this.#fleet.complete(this.#truncates)
    await this.#driver.beforeFinish?.()
    await this.#applyDeferred()
    await this.#driver.finishState({ connectorId: this.#connectorId, lastSynced: new Date(this.#truncates.current).toISOString() })
    await this.#driver.recordSync(report)
    this.#inTransaction = false
    await this.#driver.commit({})
  }

  /** Applies every deferred truncate (history tables close their active versions) and clears them. */
  async #applyDeferred(): Promise<void> {
    const now = new Date(this.#truncates.tick()).toISOString()
    for (const [table, before] of this.#truncates.entries()) {
      const layout = this.#plan.layout(table)
      if (layout && this.#plan.created(table)) await this.#driver.applyTruncate({ layout, before, now })
    }
    this.#truncates.clear()
  }

  /** A completion at a checkpoint: partitions merged and dropped, then the backfill's truncates applied, all in this transaction. */
  async #completeBackfill(): Promise<void> {
    await this.#fleet!.complete(this.#truncates)
    await this.#applyDeferred()
    this.#synced = new Date(this.#truncates.tick()).toISOString()
  }

  /** Plans a message's layout step; a table not planned yet gets a name no one uses, and a mode the driver stores. */
  async #step(message: RecordsMessage | SchemaMessage): Promise<PlannedStep> {
    const table = message.table
    if (this.#plan.layout(table) === undefined) {
      if (message.kind === 'schema' && message.change.type === 'create_table') {
        requireSupportedModes(this.#driver.name, [{ ...message.change.spec, table }], this.#driver.capabilities.modes)
      }
      this.#plan.take(await this.#driver.takenNames())
    }
    return this.#plan.step(message)
  }

  /** Applies the DDL of one planned step: CREATE TABLE, or ALTERs; layout and history saved in the same transaction. */
  async #applyStep(step: PlannedStep): Promise<void> {
    const { table, after, changes } = step
    if (changes.length === 0) return
    const what = step.isNew ? `creating table ${after.name}` : `changing table ${after.name} (source table ${table})`
    await this.#guard(what, { table }, async () => {
      if (step.isNew) await this.#driver.createTable(after)
      else await this.#driver.alterTable(step)
      await this.#driver.saveLayout(after)
      await this.#driver.insertHistory({ connectorId: this.#connectorId, syncId: this.#syncId, table, changes })
    })
  }

  async #writeRows(layout: TableLayout, message: RecordsMessage): Promise<void> {
    this.#written = true
    // History versions need a start time of their own per batch: two batches of one key in one transaction are two versions.
    const synced = layout.mode === 'history' ? new Date(this.#truncates.tick()).toISOString() : this.#synced
    const column = matchColumn(message)
    const changed = await this.#guard(`writing rows of table ${layout.name}`, { table: layout.table }, async () =>
      column === undefined
        ? this.#driver.write({ layout, op: message.op, batch: message.batch, synced })
        : this.#driver.deleteMatching({ layout, column, batch: message.batch, synced }),
    )
    if (changed) this.#journal?.updated(layout.table)
  }

  /**
   * A fleet run's commit: the state row is held at the run's epoch before the commit (locked until
   * it, see the drivers' `holdEpoch`); if another writer fenced the connector id since, the open
   * transaction rolls back (the failed sync is recorded when `report` is given) and `FENCED` is thrown.
   */
  async #holdEpoch(report: SyncReport | undefined): Promise<void> {
    if (!this.#fleet) return
    const error = await this.#guard('checking the fencing epoch', {}, () => this.#fleet!.hold())
    if (!error) return
    this.#inTransaction = false
    await this.#driver.endWrites?.()
    await this.#driver.rollback()
    if (report) await this.#driver.recordSync({ ...report, status: 'failed', error: error.toJSON() })
    throw error
  }

  #truncate(message: TruncateMessage): void {
    this.#fleet?.refuseTruncate(message.table)
    this.#truncates.truncate(message.table)
    if (message.when === 'checkpoint') this.#atCheckpoint.add(message.table)
    else this.#atCheckpoint.delete(message.table)
    this.#synced = new Date(this.#truncates.current).toISOString()
  }

  /** Truncates that happened at the source (`when: 'checkpoint'`): applied in the checkpoint's transaction, no longer pending. */
  async #applyCheckpointTruncates(): Promise<void> {
    if (this.#atCheckpoint.size === 0) return
    const now = new Date(this.#truncates.tick()).toISOString()
    for (const table of this.#atCheckpoint) {
      const before = this.#truncates.take(table)
      const layout = this.#plan.layout(table)
      if (before !== undefined && layout && this.#plan.created(table)) await this.#driver.applyTruncate({ layout, before, now })
    }
    this.#atCheckpoint.clear()
    this.#synced = new Date(this.#truncates.tick()).toISOString()
  }

  #insertErrors(errors: readonly ErrorRecord[]): Promise<void> {
    return this.#guard('recording errors', {}, () => this.#driver.insertErrors({ connectorId: this.#connectorId, syncId: this.#syncId, errors }))
  }

  /**
   * Rolls the transaction back, then redoes it with every schema change first: the steps of the
   * messages since the last commit (and of `current`) are planned again from the committed
   * layouts, their DDL applied while no row is updated yet, then everything written again.
   */
  async #replay(current: PlannedStep): Promise<AppliedSchemaChange[]> {
    const journal = this.#journal!
    const pending: readonly Replayed[] = journal.take(this.#driver.name, current.table)
    this.#inTransaction = false
    await this.#driver.rollback()
    await this.#driver.endWrites?.()
    this.#plan = journal.committedPlan()
    await this.#begin()
    const steps = pending.map((p) => ('message' in p && p.message.kind !== 'truncate' && matchColumn(p.message) === undefined ? this.#plan.step(p.message) : undefined))
    for (const step of steps) if (step) await this.#applyStep(step)
    for (const p of pending) {
      journal.remember(p)
      if ('redo' in p) await p.redo()
      else if (p.message.kind === 'truncate') this.#truncate(p.message)
      else if (p.message.kind === 'records') {
        const layout = this.#plan.layout(p.message.table)
        if (layout && this.#plan.created(p.message.table)) await this.#writeRows(layout, p.message)
      }
    }
    const last = steps[steps.length - 1]!
    return last.changes.map((change) => ({ table: last.table, change }))
  }

  #begin(): Promise<void> | undefined {
    const begun = this.#driver.begin()
    if (begun === undefined) {
      this.#opened()
      return undefined
    }
    return this.#guard('starting a transaction', {}, () => begun).then(() => this.#opened())
  }

  /** A new transaction is open: its rows get the next write time. */
  #opened(): void {
    this.#inTransaction = true
    this.#written = false
    this.#synced = new Date(this.#truncates.tick()).toISOString()
  }

  /** Runs a step of the protocol; a failure of the destination's own (not ours) becomes the driver's error for it. */
  async #guard<T>(what: string, context: Record<string, unknown>, work: () => Promise<T>): Promise<T> {
    try {
      return await work()
    } catch (cause) {
      if (isSluiceError(cause)) throw cause
      if (this.#driver.failure) throw this.#driver.failure(cause, what, context)
      throw new SluiceError({
        code: 'DESTINATION_WRITE',
        message: `${this.#driver.name}: ${what} failed: ${(cause as Error)?.message ?? String(cause)}`,
        cause,
        context,
      })
    }
  }
}


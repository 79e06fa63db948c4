import { SluiceError } from '../core/sluice-error.js'
import type { DeferredTruncates } from '../sink/layout/deferred-truncates.js'
import type { FleetRun } from '../contracts/sink.js'
import type { CommittedLayout, FleetDriver, SavedMeta, WarehouseDriver } from './driver.js'
import { fenced } from './fenced.js'
import { mergeMar } from './mar/meter.js'

/**
 * The fleet side of one engine run (`FleetRun`), decided here and applied by `WarehouseRun`:
 * - the epoch: checked at open, and held (`FleetDriver.holdEpoch`) before every commit;
 * - a partition run (`partitionOf`): no truncates of its own, write times after its parent's
 *   pending truncates and last write;
 * - a completion (`completes`): no implicit truncates of its own (the fence registered the
 *   backfill's); its partitions' MAR merged into the connector's and their state rows dropped.
 *
 * @example
 * ```ts
 * import { FleetCommits } from './fleet-commits.js'
 * import type { SavedMeta, WarehouseDriver } from './driver.js'
 * declare const driver: WarehouseDriver
 * declare const saved: SavedMeta
 * const { fleet, lastWrite } = await FleetCommits.open(driver, 'orders#p3', { epoch: 2, partitionOf: 'orders' }, saved)
 * ```
 */
export class FleetCommits {
  readonly #driver: FleetDriver
  readonly #name: string
  readonly #connectorId: string
  readonly #run: FleetRun
  /** The completion's partitions are merged and dropped (in the open transaction, or committed). */
  #completed = false

  private constructor(driver: WarehouseDriver, connectorId: string, run: FleetRun) {
    this.#driver = fleetOf(driver)
    this.#name = driver.name
    this.#connectorId = connectorId
    this.#run = run
  }

  /**
   * Fails with `FENCED` when the loaded epoch is not the run's; returns the write time the run's
   * rows must come after (a partition's: after its parent's pending truncates and last write).
   */
  static async open(driver: WarehouseDriver, connectorId: string, run: FleetRun, saved: SavedMeta): Promise<{ fleet: FleetCommits; lastWrite: number }> {
    const fleet = new FleetCommits(driver, connectorId, run)
    // A connector merged into itself would lose its own MAR buckets and state row.
    const self = run.partitionOf === connectorId ? 'partitionOf' : run.completes?.includes(connectorId) ? 'completes' : undefined
    if (self) {
      throw new SluiceError({
        code: 'CONFIG_INVALID',
        message: `${driver.name}: fleet.${self} names the sync's own connector id ${connectorId}; a partition runs under its own id (${connectorId}#<key>)`,
        context: { option: `sync.fleet.${self}`, connectorId },
      })
    }
    if ((saved.epoch ?? 0) !== run.epoch) throw fenced(driver.name, connectorId, run.epoch, saved.epoch)
    let lastWrite = saved.lastSynced
    if (run.partitionOf !== undefined) {
      // The completion soft-deletes rows written before the parent's pending truncates: this
      // partition's rows come after them (and after the parent's last write), whatever the clock
      // of the machine that registered them said.
      const parent = await fleet.#driver.stateRow(run.partitionOf)
      for (const iso of Object.values(parent?.pending ?? {})) lastWrite = Math.max(lastWrite, Date.parse(iso))
      lastWrite = Math.max(lastWrite, parent?.lastSynced ?? 0)
    }
    return { fleet, lastWrite }
  }

  /**
   * Whether the run registers replace-mode tables' implicit truncates: not a partition (it must
   * not truncate its siblings' rows) nor a completion (nor the rows its partitions wrote).
   */
  get ownTruncates(): boolean {
    return this.#run.partitionOf === undefined && this.#run.completes === undefined
  }

  /** A truncate message: refused in a partition run (`CONFIG_INVALID` naming the table). */
  refuseTruncate(table: string): void {
    const parent = this.#run.partitionOf
    if (parent === undefined) return
    throw new SluiceError({
      code: 'CONFIG_INVALID',
      message: `${this.#name}: a truncate of table ${table} in partition ${this.#connectorId} of connector ${parent}; truncates belong to the whole connector (register them with fence({ truncate }) when the backfill starts), not to one partition`,
      context: { table, connectorId: this.#connectorId, partitionOf: parent },
    })
  }

  /** Holds the state row in the open transaction (until its commit): undefined while the epoch is the run's, else the `FENCED` error. */
  async hold(): Promise<SluiceError | undefined> {
    const found = await this.#driver.holdEpoch({ connectorId: this.#connectorId, epoch: this.#run.epoch })
    return found === this.#run.epoch ? undefined : fenced(this.#name, this.#connectorId, this.#run.epoch, found)
  }

  /** `table` as committed now; with `lock`, after taking the destination's layout lock until the transaction ends (`FleetDriver.committedLayout`). */
  committedLayout(table: string, lock: boolean): Promise<CommittedLayout> {
    return this.#driver.committedLayout(table, lock)
  }

  /** A completion whose partitions are not merged yet: its next commit (checkpoint or close) completes it. */
  get completing(): boolean {
    return !this.#completed && (this.#run.completes?.length ?? 0) > 0
  }

  /**
   * A completed backfill, in the transaction that then applies the deferred truncates (the
   * completion's first commit): the partitions' MAR is merged into this connector's and their
   * state rows are dropped; the write clock moves past their last writes, so the truncates applied
   * next (and the connector's next syncs) come after every partition row.
   */
  async complete(truncates: DeferredTruncates): Promise<void> {
    const parts = this.#run.completes
    if (!parts?.length || this.#completed) return
    await mergeMar(this.#driver.mar, this.#connectorId, parts)
    truncates.after(await this.#driver.dropStates(parts))
    this.#completed = true
  }
}

/** The driver's fleet methods; a fleet run on a destination without them is refused (sync() refuses it earlier, naming the option). */
function fleetOf(driver: WarehouseDriver): FleetDriver {
  if (driver.fleet) return driver.fleet
  throw new SluiceError({
    code: 'CONFIG_INVALID',
    message: `${driver.name}: a fleet run (sync({ fleet })) needs a destination many writers can share, with fenced commits; ${driver.name} has none`,
    context: { destination: driver.name },
  })
}

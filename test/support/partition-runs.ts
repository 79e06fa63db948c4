import { op, sync, type FleetRun, type Partition, type PartitionPlan, type Sink, type Source, type State, type SyncReport } from '../../src/index.js'

/** What one sync left: its report and the last state it committed (undefined when none). */
export interface Ran {
  report: SyncReport
  state: State | undefined
}

/** Options of a test run: stop it (`signal`), watch its commits. */
export interface RunOptions {
  signal?: AbortSignal
  onCheckpoint?: (state: State) => void
}

/** One ordinary sync, remembering the last committed state. */
export async function syncOnce(source: Source, sink: Sink, connectorId: string, options: RunOptions & { fleet?: FleetRun } = {}): Promise<Ran> {
  let state: State | undefined
  const { onCheckpoint, ...rest } = options
  const report = await sync({
    source, destination: sink, connectorId, ...rest,
    on: { checkpoint: (e) => {
      state = e.state
      onCheckpoint?.(e.state)
    } },
  })
  return { report, state }
}

/** One partition run as the fleet runs it: its own connector id `C#key`, fenced, a partition of C. */
export async function runPartition(source: Source, partition: Partition, sink: Sink, connectorId: string, options: RunOptions = {}): Promise<Ran> {
  const id = `${connectorId}#${partition.key}`
  const epoch = await sink.fence!({ connectorId: id })
  return syncOnce(source.partition!(partition), sink, id, { ...options, fleet: { epoch, partitionOf: connectorId } })
}

/**
 * A backfill as the fleet runs it: the connector fenced with its replace-mode tables' truncates
 * registered (the backfill's start), every partition of `plan` through `sync()` as a fenced
 * partition run, then the completion: a fenced sync of C that declares C's tables and commits
 * `plan.complete` with the truncates and the partitions' MAR (`fleet.completes`).
 */
export async function runPlan(source: Source, plan: PartitionPlan, sink: Sink, connectorId: string): Promise<SyncReport[]> {
  const tables = source.tables ? await source.tables({ configuration: {} }) : []
  const replace = tables.filter((t) => t.mode === 'replace').map((t) => t.table)
  await sink.fence!({ connectorId, ...(replace.length ? { truncate: replace } : {}) })
  const reports: SyncReport[] = []
  for (const p of plan.partitions) {
    const { report } = await runPartition(source, p, sink, connectorId)
    if (report.status !== 'succeeded') throw new Error(`partition ${p.key} ${report.status}: ${report.error?.message}`)
    reports.push(report)
  }
  const completion: Source = {
    tables: (args) => source.tables?.(args) ?? [],
    async *read() {
      yield op.checkpoint(plan.complete)
    },
  }
  const epoch = await sink.fence!({ connectorId })
  const { report } = await syncOnce(completion, sink, connectorId, { fleet: { epoch, completes: plan.partitions.map((p) => `${connectorId}#${p.key}`) } })
  if (report.status !== 'succeeded') throw new Error(`completion ${report.status}: ${report.error?.message}`)
  return [...reports, report]
}

import { op, sync, type Partition, type PartitionPlan, type Sink, type Source, type State, type SyncReport } from '../../src/index.js'

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
export async function syncOnce(source: Source, sink: Sink, connectorId: string, options: RunOptions = {}): Promise<Ran> {
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

/** One partition run as the fleet runs it (without the fence): its own connector id `C#key`. */
export function runPartition(source: Source, partition: Partition, sink: Sink, connectorId: string, options: RunOptions = {}): Promise<Ran> {
  return syncOnce(source.partition!(partition), sink, `${connectorId}#${partition.key}`, options)
}

/**
 * Every partition of `plan` through `sync()`, then `plan.complete` written as C's state by a sync
 * that only checkpoints (the fleet's parent job, without the fence).
 */
export async function runPlan(source: Source, plan: PartitionPlan, sink: Sink, connectorId: string): Promise<SyncReport[]> {
  const reports: SyncReport[] = []
  for (const p of plan.partitions) {
    const { report } = await runPartition(source, p, sink, connectorId)
    if (report.status !== 'succeeded') throw new Error(`partition ${p.key} ${report.status}: ${report.error?.message}`)
    reports.push(report)
  }
  // Declares no table: a replace-mode table would register its truncate now, after the partitions wrote
  // (the fleet registers it with fence() before the first partition runs).
  const completion: Source = {
    async *read() {
      yield op.checkpoint(plan.complete)
    },
  }
  const { report } = await syncOnce(completion, sink, connectorId)
  if (report.status !== 'succeeded') throw new Error(`completion ${report.status}: ${report.error?.message}`)
  return [...reports, report]
}

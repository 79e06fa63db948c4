import type pg from 'pg'
import type { SourceReadArgs } from '../../../contracts/source.js'
import type { Json, Message } from '../../../core/message.js'
import { SluiceError } from '../../../core/sluice-error.js'
import { pgError, type PostgresConnection } from '../../../db/postgres-connection.js'
import { op } from '../../op.js'
import { readKeyset } from '../../sql/keyset-reader.js'
import { selected } from '../../sql/selected-tables.js'
import type { TablePlan } from '../../sql/table-options.js'
import type { PgTable } from '../postgres-catalog.js'
import { pgPageReader, snapshotBegin } from '../postgres-pages.js'
import { cdcState, loadCdcState, type CdcState } from './cdc-state.js'
import { formatLsn, parseLsn } from './lsn.js'
import { RelationTypes } from './relation-types.js'
import { ReplicationConnection } from './replication-connection.js'
import type { ReplicationPlan } from './replication-options.js'
import { checkReplicaIdentity, checkSelect, checkServer, dropSlot, ensurePublication, findSlot, slotLost, slotMissing, waitSlotFree } from './server-setup.js'
import { openSessionClient } from './session-client.js'
import { streamChanges } from './stream-changes.js'

/** What a logical-replication read needs of its source. */
export interface LogicalReadContext {
  readonly connection: PostgresConnection
  /** `host:port/db`, never the password. */
  readonly target: string
  readonly schema: string
  readonly batchSize: number
  readonly plans: readonly TablePlan[]
  readonly plan: ReplicationPlan
  /** The configured tables from the catalog (declared `upsert` by key). */
  readonly discover: (client: pg.ClientBase) => Promise<PgTable[]>
  /** Each position committed and confirmed to the server (for `replication()`). */
  readonly confirmed: (lsn: string) => void
}

/**
 * One sync of a logical-replication source: set up (server checks, publication, slot), then the
 * initial snapshot in keyset chunks if one is due, then the change stream — bounded at the
 * server position seen at the start, or continuous until the signal aborts.
 */
export async function* readLogical(ctx: LogicalReadContext, args: SourceReadArgs): AsyncGenerator<Message> {
  const { plan, schema } = ctx
  const { signal, selection } = args
  let state = loadCdcState(args.state)
  const client = await openSessionClient(ctx.connection, ctx.target, false)
  let replication: ReplicationConnection | undefined
  let broken: unknown
  try {
    await checkServer(client)
    const tables = selected(await ctx.discover(client), args)
    await checkReplicaIdentity(client, schema, tables)
    await checkSelect(client, schema, tables.map((t) => t.table))
    await ensurePublication(client, plan, schema, tables.map((t) => t.table))
    const target = plan.continuous ? undefined : parseLsn((await client.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn')).rows[0]!.lsn)
    await waitSlotFree(client, plan.slot)
    const slot = await findSlot(client, plan.slot)
    if (slot && slot.plugin !== 'pgoutput') {
      throw new SluiceError({ code: 'REPLICATION_SETUP', message: `postgres replication: slot "${plan.slot}" decodes with ${slot.plugin}, not pgoutput; drop it (\`SELECT pg_drop_replication_slot('${plan.slot}');\`) or name another slot`, context: { slot: plan.slot } })
    }
    replication = await ReplicationConnection.open(ctx.connection, ctx.target)

    const lost = !state ? undefined : state.slot !== plan.slot ? `is not the slot the saved state streams from ("${state.slot}")` : !slot ? 'no longer exists' : slot.walStatus === 'lost' ? "was invalidated (wal_status = 'lost': the WAL it needed was removed)" : undefined
    if (lost && plan.onSlotLost === 'fail') throw slotLost(plan.slot, lost)
    let exported: string | undefined
    if (!state || lost) {
      let consistentPoint: string
      if (slot && !lost) {
        // A slot made beforehand (create: false, or a reset that kept it): stream from where it stands, after a fresh snapshot.
        consistentPoint = slot.confirmedFlush!
      } else {
        if (slot) await dropSlot(client, plan.slot)
        if (!plan.create) throw slotMissing(plan.slot)
        const created = await replication.createSlot(plan.slot)
        exported = created.snapshot
        consistentPoint = formatLsn(created.consistentPoint)
      }
      state = { slot: plan.slot, phase: 'snapshot', consistentPoint, tables: {}, snapshotted: [] }
      // Re-snapshot after a lost slot: rows synced before that the source no longer has end soft-deleted.
      if (lost) for (const t of tables) yield op.truncate(t.table)
    }
    const current = tables.map((t) => t.table)
    // A table no longer read (removed from `tables`, or blocked by a select stage) missed its changes meanwhile: it is copied again if it comes back.
    const done = (state.snapshotted ?? current).filter((t) => current.includes(t))
    if (state.phase === 'stream') {
      const added = current.filter((t) => !done.includes(t))
      if (added.length > 0) {
        // Tables added since: an initial copy of their own, then the stream from the saved position. A table that
        // comes back may hold rows deleted at the source while it was away: a truncate first soft-deletes those
        // the new copy doesn't write again (nothing, for a table that is new).
        for (const t of added) yield op.truncate(t)
        state = { slot: plan.slot, phase: 'snapshot', consistentPoint: state.lsn!, tables: Object.fromEntries(done.map((t) => [t, { round: 'done' }])), snapshotted: done }
      } else state = { ...state, snapshotted: done }
    }
    if (state.phase === 'snapshot') {
      const reader = pgPageReader(client, ctx.batchSize, (e) => (broken = e), exported ? snapshotBegin(exported) : undefined)
      let finished = false
      for await (const m of readKeyset(tables, { tables: (state.tables ?? {}) as Json }, reader, signal)) {
        if (m.kind !== 'checkpoint') {
          yield m
          continue
        }
        const progress = (m.state.tables ?? {}) as Record<string, Json>
        // readKeyset's last checkpoint ends its round with no table in progress: the snapshot is complete.
        finished = Object.keys(progress).length === 0
        state = finished ? { slot: plan.slot, phase: 'stream', lsn: state.consistentPoint!, snapshotted: current } : ({ ...state, tables: progress } satisfies CdcState)
        yield op.checkpoint(cdcState(state))
      }
      if (!finished) return
    }

    const from = parseLsn(state.lsn!)
    ctx.confirmed(state.lsn!)
    if (target !== undefined && from >= target) return
    const snapshotted = state.snapshotted
    yield* streamChanges({
      stream: replication.start(plan.slot, plan.publication, from),
      types: new RelationTypes(client),
      schema,
      tables: new Map(
        tables.map((t) => {
          const p = ctx.plans.find((x) => x.table === t.table)!
          return [t.table, { key: t.spec.primaryKey ?? [], wants: (c: string) => p.include(c) && (selection?.column(t.table, c) ?? true) }]
        }),
      ),
      from,
      target,
      checkpointRows: plan.checkpointRows,
      flushRows: Math.max(ctx.batchSize, plan.checkpointRows),
      checkpointMs: plan.checkpointMs,
      signal,
      state: (lsn) => cdcState({ slot: plan.slot, phase: 'stream', lsn: formatLsn(lsn), ...(snapshotted ? { snapshotted } : {}) }),
      confirmed: (lsn) => ctx.confirmed(formatLsn(lsn)),
    })
  } catch (cause) {
    if (cause instanceof SluiceError) throw cause
    if ((cause as { code?: string }).code === '55000' && /replication slot/.test((cause as Error).message)) throw slotLost(plan.slot, `can no longer be read (${(cause as Error).message})`)
    throw pgError('SOURCE_FAILED', `postgres replication from ${ctx.target} (slot "${plan.slot}") failed`, cause, { slot: plan.slot, target: ctx.target })
  } finally {
    await replication?.close()
    await client.end().catch(() => {})
    void broken
  }
}

import type { Selection } from '../../contracts/selection.js'
import { columnProjection } from '../column-projection.js'
import { fieldsQuery } from './fields-param.js'
import type { ResolvedStream } from './rest-options.js'
import type { RestStreamState } from './rest-state.js'

/**
 * The top-level streams a sync reads under a `select()` stage's selection, each narrowed to it: a stream whose table
 * is blocked is left out, unless one of its children is selected, in which case it is read only to drive them
 * (`emit` false); blocked children are left out; each stream drops the blocked columns of its rows (never its primary
 * key) and, with a `fields` option, asks the API for the selected ones only. Without a selection, the streams as they are.
 */
export function selectedStreams(streams: readonly ResolvedStream[], selection: Selection | undefined): ResolvedStream[] {
  if (!selection) return [...streams]
  const out: ResolvedStream[] = []
  for (const stream of streams) {
    const children = stream.children.filter((child) => selection.table(child.table)).map((child) => narrow(child, selection, true, []))
    const emit = selection.table(stream.table)
    if (emit || children.length > 0) out.push(narrow(stream, selection, emit, children))
  }
  return out
}

/**
 * The saved states with every run that only drove children (`run.drives`) dropped for streams this sync writes: those
 * pages were read but not written, so the stream starts its run over (from its saved cursor) instead of resuming
 * after them.
 */
export function forgetDrivingRuns(saved: ReadonlyMap<string, RestStreamState>, streams: readonly ResolvedStream[]): Map<string, RestStreamState> {
  const out = new Map(saved)
  for (const stream of streams) {
    const state = saved.get(stream.table)
    if (!stream.emit || state?.run?.drives !== true) continue
    const { run: _, ...rest } = state
    if (Object.keys(rest).length === 0) out.delete(stream.table)
    else out.set(stream.table, rest)
  }
  return out
}

function narrow(stream: ResolvedStream, selection: Selection, emit: boolean, children: ResolvedStream[]): ResolvedStream {
  const needs = children.flatMap((child) => child.needs)
  return {
    ...stream,
    emit,
    project: emit ? columnProjection(stream.table, selection, stream.primaryKey) : undefined,
    params: { ...stream.params, ...fieldsQuery(stream, selection, emit, needs) },
    children,
  }
}

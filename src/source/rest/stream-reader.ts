import { ChildStream } from './child-stream.js'
import { CursorPager } from './cursor-pager.js'
import { pageLoop } from './page-loop.js'
import { acceptRecords, incrementalRun, recordKey, upsertMessage, type ReadContext, type RestEvent } from './rest-event.js'
import type { ResolvedStream } from './rest-options.js'
import type { PagePosition, RestStreamState } from './rest-state.js'

/**
 * Reads one top-level stream (and its child streams) from its saved state: per page, the rows to write, the child
 * endpoints of those rows, then the state to checkpoint; once every page is read, the completed state.
 *
 * The state after a page holds the pagination position and, for an unsorted incremental stream, the highest cursor
 * seen; the saved cursor itself moves only on completion (or, with `sorted: 'asc'`, after every page, when the run
 * then resumes from the cursor instead of the position). A sorted stream over a paginator that counts rows or pages
 * is paged by its cursor (`CursorPager`), never by position: see docs/incremental-paging.md.
 *
 * A stream read only to drive its children (`emit` false: a selection blocks its table) writes no rows and keeps its
 * saved cursor: it saves only its run, marked `drives`, so rows it did not write are read again once it is unblocked
 * (a run so marked is started over, not resumed, by a sync that writes the stream: see `forgetDrivingRuns`).
 */
export async function* readStream(stream: ResolvedStream, ctx: ReadContext): AsyncGenerator<RestEvent> {
  const inc = incrementalRun(stream, ctx)
  const sorted = stream.incremental?.sorted === true
  const saved = ctx.saved.get(stream.table)
  const resume = sorted ? undefined : saved?.run?.position
  const children = stream.children.map((child) => new ChildStream(child, ctx))
  const path = stream.path.expand({}, () => stream.table)
  const start = resume?.page ? { page: resume.page, pages: resume.pages, received: resume.received } : { page: stream.paginator.first({ path }), pages: 0, received: 0 }
  const keyOf = recordKey(stream)
  const param = stream.incremental?.param
  const steer = inc && keyOf && param !== undefined && stream.paging === 'byCursor'
    ? new CursorPager({ table: stream.table, incremental: { ...stream.incremental!, param }, paginator: stream.paginator, path, from: inc.from, keyOf })
    : undefined

  const own = (next: RestStreamState): RestStreamState => (stream.emit ? next : keepCursor(saved, next))
  const progress = (after: PagePosition): Record<string, RestStreamState> => {
    const updates: Record<string, RestStreamState> = {}
    if (!inc) updates[stream.table] = own({ run: { position: after } })
    else {
      const { saved: cursor, run } = inc.progress()
      updates[stream.table] = own(run ? { ...cursor, run: { ...run, position: after } } : cursor)
    }
    for (const child of children) updates[child.table] = child.nextParentPage()
    return updates
  }

  for await (const step of pageLoop({
    table: stream.table,
    paginator: stream.paginator,
    stop: stream.stop,
    target: { path, params: { ...stream.params, ...inc?.query() }, records: stream.records, recordsPath: stream.recordsPath, where: stream.where },
    start,
    fetch: ctx.fetch,
    signal: ctx.signal,
    clean: ctx.clean,
    keyOf,
    steer,
  })) {
    if (step.restarted) inc?.restartOrder()
    const rows = acceptRecords(stream, step.page, inc)
    if (rows.length > 0 && stream.emit) yield upsertMessage(stream, rows)
    for (const child of children) if (rows.length > 0) yield* child.readFor(rows, stream.table)
    // A sorted stream past `end` has nothing more to give; otherwise the last page is followed by the completion below.
    if (step.after.page === undefined || (sorted && inc?.pastEnd)) break
    yield { kind: 'state', updates: progress(step.after) }
  }
  const done: Record<string, RestStreamState> = { [stream.table]: inc ? own(inc.completed()) : {} }
  for (const child of children) done[child.table] = child.completed()
  yield { kind: 'state', updates: done }
}

/** `next` with the saved cursor instead of its own: only the run (where the pagination stands) moves, marked as driving. */
function keepCursor(saved: RestStreamState | undefined, next: RestStreamState): RestStreamState {
  return {
    ...(saved?.cursor !== undefined ? { cursor: saved.cursor } : {}),
    ...(saved?.keys !== undefined ? { keys: saved.keys } : {}),
    ...(next.run !== undefined ? { run: { ...next.run, drives: true } } : {}),
  }
}

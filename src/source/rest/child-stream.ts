import type { Row } from '../../core/batch.js'
import type { IncrementalRun } from '../../cursor/incremental-run.js'
import { mergeIterators } from './merge-iterators.js'
import { pageLoop } from './page-loop.js'
import { acceptRecords, incrementalRun, recordKey, upsertMessage, type ReadContext, type RestEvent } from './rest-event.js'
import type { ResolvedStream } from './rest-options.js'
import type { PagePosition, RestStreamState } from './rest-state.js'

type EndpointEvent = RestEvent | { readonly kind: 'endpoint'; readonly path: string; readonly after: PagePosition }

/**
 * A child stream during one sync: reads its endpoint for each parent record of a parent page, remembering which
 * endpoints are done (and where unfinished ones stand) so a resumed sync re-reads the parent page and skips them.
 * Its incremental cursor is one for all endpoints: fixed lower bound during the sync, new bound when the parent completes.
 */
export class ChildStream {
  readonly #stream: ResolvedStream
  readonly #ctx: ReadContext
  readonly #inc: IncrementalRun | undefined
  readonly #saved: RestStreamState
  readonly #done: Set<string>
  readonly #active: Map<string, PagePosition>

  constructor(stream: ResolvedStream, ctx: ReadContext) {
    this.#stream = stream
    this.#ctx = ctx
    this.#saved = ctx.saved.get(stream.table) ?? {}
    this.#inc = incrementalRun(stream, ctx)
    this.#done = new Set(this.#saved.run?.done ?? [])
    this.#active = new Map(Object.entries(this.#saved.run?.active ?? {}))
  }

  get table(): string {
    return this.#stream.table
  }

  /** Reads the endpoints of `parents` (rows of one parent page), yielding rows and this stream's state after each page. */
  async *readFor(parents: readonly Row[], parentTable: string): AsyncGenerator<RestEvent> {
    const stream = this.#stream
    const endpoints = new Map<string, Row>()
    for (const parent of parents) {
      const path = stream.path.expand(parent, () => `a ${parentTable} record (for child stream ${stream.table})`)
      if (!this.#done.has(path) && !endpoints.has(path)) endpoints.set(path, parent)
    }
    const factories = [...endpoints].map(([path, parent]) => () => this.#endpoint(path, parent))
    for await (const event of mergeIterators(factories, this.#ctx.concurrency)) {
      if (event.kind !== 'endpoint') {
        yield event
        continue
      }
      if (event.after.page) this.#active.set(event.path, event.after)
      else {
        this.#active.delete(event.path)
        this.#done.add(event.path)
      }
      yield { kind: 'state', updates: { [stream.table]: this.#runState() } }
    }
  }

  /** The state to save with the parent's checkpoint after a parent page: nothing done yet for the next page. */
  nextParentPage(): RestStreamState {
    this.#done.clear()
    this.#active.clear()
    return this.#runState()
  }

  /** The state once the parent stream completed. */
  completed(): RestStreamState {
    return this.#inc ? this.#inc.completed() : {}
  }

  async *#endpoint(path: string, parent: Row): AsyncGenerator<EndpointEvent> {
    const stream = this.#stream
    const ctx = this.#ctx
    const start = this.#active.get(path)
    const copies = stream.parentFields.map(([column, read]) => [column, read(parent) ?? null] as const)
    for await (const step of pageLoop({
      table: stream.table,
      paginator: stream.paginator,
      stop: stream.stop,
      target: { path, params: { ...stream.params, ...this.#inc?.query() }, records: stream.records, recordsPath: stream.recordsPath, where: stream.where },
      start: start?.page ? { page: start.page, pages: start.pages, received: start.received } : { page: stream.paginator.first({ path }), pages: 0, received: 0 },
      fetch: ctx.fetch,
      signal: ctx.signal,
      clean: ctx.clean,
      keyOf: recordKey(stream),
    })) {
      const rows = acceptRecords(stream, step.page, this.#inc)
      for (const row of rows) for (const [column, value] of copies) row[column] = value
      if (rows.length > 0) yield upsertMessage(stream, rows)
      yield { kind: 'endpoint', path, after: step.after }
    }
  }

  #runState(): RestStreamState {
    const cursor = this.#inc?.progress()
    const run = { ...cursor?.run, done: [...this.#done], active: Object.fromEntries(this.#active) }
    return { ...(cursor ? cursor.saved : {}), run }
  }
}

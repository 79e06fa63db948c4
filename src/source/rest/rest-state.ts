import type { Json, State } from '../../core/message.js'
import { SluiceError } from '../../core/sluice-error.js'
import type { CursorRunState, CursorState } from '../../cursor/incremental-run.js'
import type { PageRequest } from './paginator.js'

/** Where a pagination stands: the next request (undefined when none is left), pages and records so far. */
export interface PagePosition {
  readonly page?: PageRequest
  readonly pages: number
  readonly received: number
}

/**
 * A stream's progress inside one sync (absent once the stream completed): pagination position, the incremental run,
 * and for a child stream the endpoints done or in progress for the parent page being read.
 */
export interface StreamRunState extends CursorRunState {
  readonly position?: PagePosition
  readonly done?: readonly string[]
  readonly active?: Readonly<Record<string, PagePosition>>
  /** The run only drives child streams (a selection blocks this table): its pages were read, not written. */
  readonly drives?: boolean
}

/**
 * What `rest()` keeps per stream under `state.streams[table]`: the saved cursor (incremental streams) and, while a
 * sync is unfinished, its run. Plain JSON.
 *
 * @example
 * ```ts
 * import type { RestStreamState } from './rest-state.js'
 * const s: RestStreamState = { cursor: '2026-01-01T00:00:00Z', keys: ['7'] }
 * ```
 */
export interface RestStreamState extends CursorState {
  readonly run?: StreamRunState
}

/**
 * The per-stream states in a connector state (`{ streams: { orders: … } }`); STATE_INVALID when malformed.
 *
 * @example
 * ```ts
 * import { readStreamStates } from './rest-state.js'
 * readStreamStates({ streams: { orders: { cursor: '2026-01-01T00:00:00Z', keys: ['7'] } } }).get('orders')
 * ```
 */
export function readStreamStates(state: State | undefined): Map<string, RestStreamState> {
  const streams = state?.['streams']
  if (streams === undefined || streams === null) return new Map()
  if (typeof streams !== 'object' || Array.isArray(streams)) throw invalid('streams', 'an object keyed by table')
  const out = new Map<string, RestStreamState>()
  for (const [table, value] of Object.entries(streams as Record<string, Json>)) out.set(table, checkStream(table, value))
  return out
}

function checkStream(table: string, value: Json): RestStreamState {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(`streams.${table}`, 'an object')
  const s = value as Record<string, Json>
  cursorValue(s['cursor'], `streams.${table}.cursor`)
  strings(s['keys'], `streams.${table}.keys`)
  const run = s['run']
  if (run !== undefined) {
    if (typeof run !== 'object' || run === null || Array.isArray(run)) throw invalid(`streams.${table}.run`, 'an object')
    const r = run as Record<string, Json>
    cursorValue(r['from'], `streams.${table}.run.from`)
    cursorValue(r['max'], `streams.${table}.run.max`)
    strings(r['maxKeys'], `streams.${table}.run.maxKeys`)
    if (r['signpost'] !== undefined && typeof r['signpost'] !== 'number') throw invalid(`streams.${table}.run.signpost`, 'a number (ms)')
    strings(r['done'], `streams.${table}.run.done`)
    if (r['drives'] !== undefined && typeof r['drives'] !== 'boolean') throw invalid(`streams.${table}.run.drives`, 'a boolean')
    if (r['position'] !== undefined) position(r['position'], `streams.${table}.run.position`)
    if (r['active'] !== undefined) {
      if (typeof r['active'] !== 'object' || r['active'] === null || Array.isArray(r['active'])) throw invalid(`streams.${table}.run.active`, 'an object')
      for (const [k, v] of Object.entries(r['active'])) position(v, `streams.${table}.run.active.${k}`)
    }
  }
  return value as unknown as RestStreamState
}

function position(value: Json | undefined, where: string): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(where, 'an object { page, pages, received }')
  const p = value as Record<string, Json>
  if (typeof p['pages'] !== 'number' || typeof p['received'] !== 'number') throw invalid(where, 'counts pages and received')
  const page = p['page']
  if (page === undefined) return
  if (typeof page !== 'object' || page === null || Array.isArray(page)) throw invalid(`${where}.page`, 'an object { url } or { query }')
  const req = page as Record<string, Json>
  if (req['url'] !== undefined && typeof req['url'] !== 'string') throw invalid(`${where}.page.url`, 'a string')
  if (req['query'] !== undefined && (typeof req['query'] !== 'object' || req['query'] === null || Array.isArray(req['query']))) throw invalid(`${where}.page.query`, 'an object')
}

function cursorValue(value: Json | undefined, where: string): void {
  if (value !== undefined && typeof value !== 'string' && typeof value !== 'number') throw invalid(where, 'a string or number')
}

function strings(value: Json | undefined, where: string): void {
  if (value !== undefined && !(Array.isArray(value) && value.every((k) => typeof k === 'string'))) throw invalid(where, 'an array of strings')
}

function invalid(where: string, expected: string): SluiceError {
  return new SluiceError({
    code: 'STATE_INVALID',
    message: `rest state: ${where} must be ${expected}; reset the connector state if it was written by hand or by another source`,
    context: { path: where },
  })
}

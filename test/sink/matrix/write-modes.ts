import { describe, expect, it } from 'vitest'
import { op as srcOp, type Message, type Row, type Source, type WriteMode } from '../../../src/index.js'
import { normRows } from '../../support/sources.js'
import type { DestinationCase } from './each-destination.js'

type Op = Awaited<ReturnType<DestinationCase['lib']['core']>>['op']

/** One sync of a case: its messages, and whether the source fails after them (a crash: nothing after the last checkpoint stays). */
interface Step {
  readonly messages: readonly Message[]
  readonly fail?: boolean
}

/** One cell of the mode × operation table: the syncs run in order, and the rows read back after the last. */
interface ModeCase {
  readonly mode: WriteMode
  readonly does: string
  readonly steps: readonly Step[]
  /** `[id, v, w, _sluice_deleted]` (history: `…, _sluice_active`), by id, versions by `_sluice_start`, append rows in write order. */
  readonly rows: readonly (readonly unknown[])[]
  /** Keyed by `_sluice_id` (no primary key); `id` is then an ordinary column. */
  readonly keyless?: boolean
}

const T = 't'
const ok = (...messages: Message[]): Step => ({ messages })
const crash = (...messages: Message[]): Step => ({ messages, fail: true })

/**
 * Every write mode against every operation; each sink must give the same rows (or refuse the mode
 * at open). Built from the library under test's `op` (the sources' or the built package's).
 */
const cases = (op: Op): readonly ModeCase[] => {
  const up = (...rows: Row[]) => op.upsert(T, rows)
  const upd = (...rows: Row[]) => op.update(T, rows)
  const del = (...rows: Row[]) => op.delete(T, rows)
  const cp = (n: number) => op.checkpoint({ n })
  return [
  {
    mode: 'upsert',
    does: 'an upsert replaces the whole row, an update sets the given columns, a delete is soft, an upsert undoes it, a replay changes nothing',
    steps: [
      ok(up({ id: 1, v: 'a', w: 1 }, { id: 2, v: 'b', w: 1 }), cp(1)),
      ok(up({ id: 1, v: 'a2' }), upd({ id: 2, w: 2 }), del({ id: 1 }), cp(2)),
      ok(up({ id: 1, v: 'c', w: 3 }), cp(3)),
      ok(up({ id: 1, v: 'c', w: 3 }), cp(3)),
    ],
    rows: [[1, 'c', 3, 0], [2, 'b', 2, 0]],
  },
  {
    mode: 'upsert',
    does: 'rows repeating a key within a batch keep the last; a crashed sync leaves only what was checkpointed',
    steps: [ok(up({ id: 1, v: 'a', w: 1 }, { id: 1, v: 'b', w: 2 }), cp(1)), crash(up({ id: 1, v: 'lost', w: 9 }, { id: 2, v: 'lost' }))],
    rows: [[1, 'b', 2, 0]],
  },
  {
    mode: 'upsert',
    does: "a truncate that happened at the source (when: 'checkpoint') commits with the next checkpoint even if the sync then fails, rows after it stay; uncommitted, it is rolled back",
    steps: [
      ok(up({ id: 1, v: 'a', w: 1 }, { id: 2, v: 'b', w: 1 }), cp(1)),
      crash(up({ id: 3, v: 'c', w: 1 }), op.truncate(T, { when: 'checkpoint' }), up({ id: 2, v: 'b2', w: 2 }), cp(2), up({ id: 4, v: 'lost' })),
      crash(up({ id: 5, v: 'e', w: 1 }), cp(3), op.truncate(T, { when: 'checkpoint' })),
    ],
    rows: [[1, 'a', 1, 1], [2, 'b2', 2, 0], [3, 'c', 1, 1], [5, 'e', 1, 0]],
  },
  {
    mode: 'append',
    does: 'every upsert and update is a new row, replays included',
    steps: [
      ok(up({ id: 1, v: 'a', w: 1 }, { id: 1, v: 'a', w: 1 }, { id: 2, v: 'b', w: 1 }), cp(1)),
      ok(upd({ id: 1, w: 2 }), cp(2)),
      crash(up({ id: 3, v: 'lost' })),
    ],
    rows: [[1, 'a', 1, 0], [1, 'a', 1, 0], [1, null, 2, 0], [2, 'b', 1, 0]],
  },
  {
    mode: 'append',
    does: 'a delete soft-deletes every row of its key',
    steps: [ok(up({ id: 1, v: 'a', w: 1 }, { id: 1, v: 'b', w: 1 }, { id: 2, v: 'c', w: 1 }), cp(1)), ok(del({ id: 1 }), cp(2))],
    rows: [[1, 'a', 1, 1], [1, 'b', 1, 1], [2, 'c', 1, 0]],
  },
  {
    mode: 'replace',
    does: 'rows neither upserted nor updated since the refresh began are soft-deleted once it succeeds; a delete is soft',
    steps: [
      ok(up({ id: 1, v: 'a', w: 1 }, { id: 2, v: 'b', w: 1 }, { id: 3, v: 'c', w: 1 }, { id: 4, v: 'd', w: 1 }), cp(1)),
      crash(up({ id: 1, v: 'lost', w: 0 })),
      ok(up({ id: 1, v: 'a2' }), upd({ id: 2, w: 2 }), del({ id: 4 }), cp(2)),
    ],
    rows: [[1, 'a2', null, 0], [2, 'b', 2, 0], [3, 'c', 1, 1], [4, 'd', 1, 1]],
  },
  {
    mode: 'history',
    does: 'a change closes the active version and opens one, an unchanged row adds none, an update carries the other columns, a delete closes it',
    steps: [
      ok(up({ id: 1, v: 'a', w: 1 }, { id: 2, v: 'x', w: 1 }), cp(1)),
      ok(up({ id: 1, v: 'b', w: 1 }, { id: 2, v: 'x', w: 1 }), upd({ id: 1, w: 2 }), del({ id: 2 }), cp(2)),
      ok(up({ id: 2, v: 'back', w: 3 }), cp(3)),
    ],
    rows: [[1, 'a', 1, 0, 0], [1, 'b', 1, 0, 0], [1, 'b', 2, 0, 1], [2, 'x', 1, 1, 0], [2, 'back', 3, 0, 1]],
  },
  {
    mode: 'history',
    does: 'an upsert writes the whole row (a missing column is a change to NULL); an update of a key with no active version starts one from the given columns',
    steps: [ok(up({ id: 1, v: 'a', w: 1 }, { id: 2, v: 'x', w: 1 }), cp(1)), ok(up({ id: 1, v: 'a' }), del({ id: 2 }), upd({ id: 2, w: 5 }), cp(2))],
    rows: [[1, 'a', 1, 0, 0], [1, 'a', null, 0, 1], [2, 'x', 1, 1, 0], [2, null, 5, 0, 1]],
  },
  {
    mode: 'history',
    does: 'resuming after a crash adds no duplicate versions, and neither does a replay of committed rows',
    steps: [
      ok(up({ id: 1, v: 'a', w: 1 }), cp(1)),
      crash(up({ id: 1, v: 'b', w: 1 }, { id: 2, v: 'y', w: 1 }), upd({ id: 1, w: 2 })),
      ok(up({ id: 1, v: 'b', w: 1 }, { id: 2, v: 'y', w: 1 }), upd({ id: 1, w: 2 }), cp(2)),
      ok(up({ id: 1, v: 'b', w: 2 }, { id: 2, v: 'y', w: 1 }), cp(2)),
    ],
    rows: [[1, 'a', 1, 0, 0], [1, 'b', 1, 0, 0], [1, 'b', 2, 0, 1], [2, 'y', 1, 0, 1]],
  },
  {
    mode: 'history',
    does: 'a key repeated within a batch keeps the last row; two batches of one transaction are two versions',
    steps: [ok(up({ id: 1, v: 'a', w: 1 }, { id: 1, v: 'b', w: 1 }), up({ id: 1, v: 'c', w: 1 }), cp(1))],
    rows: [[1, 'b', 1, 0, 0], [1, 'c', 1, 0, 1]],
  },
  {
    mode: 'history',
    does: 'a truncate closes the active versions written before it, once the sync succeeds',
    steps: [
      ok(up({ id: 1, v: 'a', w: 1 }, { id: 2, v: 'b', w: 1 }), cp(1)),
      crash(op.truncate(T), up({ id: 2, v: 'b', w: 1 }), cp(2)),
      ok(op.truncate(T), up({ id: 2, v: 'b', w: 1 }), cp(3)),
    ],
    rows: [[1, 'a', 1, 1, 0], [2, 'b', 1, 0, 1]],
  },
  {
    mode: 'history',
    keyless: true,
    does: 'a keyless table keeps a version per distinct row (keyed by _sluice_id); a delete closes it',
    steps: [ok(up({ id: 1, v: 'a' }, { id: 2, v: 'b' }), cp(1)), ok(up({ id: 1, v: 'a' }), del({ id: 2, v: 'b' }), cp(2))],
    rows: [[1, 'a', null, 0, 1], [2, 'b', null, 1, 0]],
  },
  ]
}

/** A source whose table `t` is declared with the case's mode, yielding the step's messages. */
function source(c: ModeCase, step: Step): Source {
  return {
    id: 'modes',
    tables: () => [{ table: T, mode: c.mode, ...(c.keyless ? {} : { primaryKey: ['id'] }) }],
    async *read() {
      for (const m of step.messages) yield m
      if (step.fail) throw new Error('crash after the last checkpoint')
    },
  }
}

const instant = (v: unknown) => Date.parse(String(v))

/** Rows by id; versions of a key by start; rows of equal rank keep the order the sink read them in (append: write order). */
function ordered(rows: Row[]): Row[] {
  return rows
    .map((r, i) => ({ r, i }))
    .sort((a, b) => Number(a.r.id) - Number(b.r.id) || (instant(a.r._sluice_start) || 0) - (instant(b.r._sluice_start) || 0) || a.i - b.i)
    .map(({ r }) => r)
}

/**
 * Write modes × operations, one table of cases run against every destination: each gives the same
 * rows for each cell, or — for a mode it does not declare — refuses it at `open()` with `CONFIG_INVALID`.
 */
export function describeWriteModes({ destination, make, lib }: DestinationCase): void {
  const kept = new Set(destination.capabilities.modes)
  // Titles from the sources' `op`; each test rebuilds its case with the library under test's.
  const titles = cases(srcOp)
  const lacks = [...new Set(titles.map((c) => c.mode))].filter((m) => !kept.has(m))
  describe(`write modes: ${destination.name}`, () => {
    for (const [index, title] of titles.entries()) {
      if (!kept.has(title.mode)) continue
      it(`${title.mode}${title.keyless ? ' (keyless)' : ''}: ${title.does}`, async () => {
        const { op, sync } = await lib.core()
        const c = cases(op)[index]!
        const sink = await make()
        for (const [i, step] of c.steps.entries()) {
          const r = await sync({ destination: sink, source: source(c, step) })
          expect(r.status, `sync ${i + 1}: ${r.error?.message}`).toBe(step.fail ? 'failed' : 'succeeded')
          if (step.fail) expect(r.error?.message).toContain('crash after the last checkpoint')
        }
        const rows = ordered(await sink.read!({ table: T }))
        const view = (r: Row) => {
          const n = normRows([r])[0]!
          return [n.id, n.v, n.w ?? null, n._sluice_deleted, ...(c.mode === 'history' ? [n._sluice_active] : [])]
        }
        expect(rows.map(view)).toEqual(c.rows)
        if (c.mode === 'history') expectVersionsTileTime(rows, c.keyless ? '_sluice_id' : 'id')
        else expect(rows.every((r) => !('_sluice_active' in r) && !('_sluice_start' in r))).toBe(true)
      })
    }

    for (const mode of lacks) {
      it(`${mode}: refused at open with CONFIG_INVALID (this sink lacks it), before anything is written`, async () => {
        const { op, sync } = await lib.core()
        const sink = await make()
        await expect(sink.open({ connectorId: 'modes', syncId: 'refused', tables: [{ table: T, primaryKey: ['id'], mode }] })).rejects.toMatchObject({
          code: 'CONFIG_INVALID',
          message: expect.stringContaining(mode),
        })
        const r = await sync({ destination: await make(), source: source({ mode, does: '', steps: [], rows: [] }, ok(op.upsert(T, [{ id: 1 }]), op.checkpoint({ n: 1 }))) })
        expect(r.error).toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining(`"${T}"`) })
        // A table announced by a `create_table` message (not declared at open) is refused when it arrives.
        const announced: Source = {
          async *read() {
            yield { kind: 'schema', table: 'u', change: { type: 'create_table', spec: { table: 'u', primaryKey: ['id'], mode } } }
            yield op.upsert('u', { id: 1 })
            yield op.checkpoint({ n: 1 })
          },
        }
        const late = await sync({ destination: sink, source: announced })
        expect(late.error).toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining(`"u"`) })
        expect(await sink.read!({ table: 'u' })).toEqual([])
      })
    }
  })
}

/**
 * History versions of a key tile time: a version replaced by a change ends 1 ms before the next
 * starts, a deleted or truncated one ends no later than the next start; the active one ends at
 * 9999-12-31T23:59:59.999Z, and a key has at most one.
 */
function expectVersionsTileTime(rows: readonly Row[], key: string): void {
  const byKey = new Map<unknown, Row[]>()
  for (const r of rows) byKey.set(String(r[key]), [...(byKey.get(String(r[key])) ?? []), r])
  for (const versions of byKey.values()) {
    expect(versions.filter((v) => Number(normRows([v])[0]!._sluice_active) === 1).length).toBeLessThanOrEqual(1)
    for (const [k, v] of versions.entries()) {
      const active = Number(normRows([v])[0]!._sluice_active) === 1
      if (active) expect(instant(v._sluice_end)).toBe(Date.parse('9999-12-31T23:59:59.999Z'))
      expect(instant(v._sluice_start)).toBeLessThanOrEqual(instant(v._sluice_end))
      const next = versions[k + 1]
      if (!next) continue
      if (Number(normRows([v])[0]!._sluice_deleted) === 1) expect(instant(v._sluice_end)).toBeLessThanOrEqual(instant(next._sluice_start))
      else expect(instant(v._sluice_end)).toBe(instant(next._sluice_start) - 1)
    }
  }
}

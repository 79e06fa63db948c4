import { describe, expect, it } from 'vitest'
import type { ErrorRecord } from '../../src/core/error-record.js'
import { parseIncremental, type IncrementalOptions } from '../../src/cursor/incremental-options.js'
import { IncrementalRun, type CursorRunState, type CursorState } from '../../src/cursor/incremental-run.js'

function run(options: Partial<IncrementalOptions>, saved?: CursorState, resume?: CursorRunState, errors: ErrorRecord[] = []) {
  return new IncrementalRun({
    config: parseIncremental({ cursor: 'at', param: 'since', ...options }, 'incremental'),
    table: 'orders',
    primaryKey: ['id'],
    recordError: (e) => errors.push(e),
    saved,
    resume,
  })
}
const row = (id: number, at: unknown) => ({ id, at })
const T = (s: number) => `2026-01-01T00:00:${String(s).padStart(2, '0')}Z`

describe('parseIncremental', () => {
  it.each([
    [{ cursor: '' }, 'incremental.cursor'],
    [{ cursor: 'at', onMissing: 'skip' }, 'incremental.onMissing'],
    [{ cursor: 'at', sorted: 'desc' }, 'incremental.sorted'],
    [{ cursor: 'at', lookback: '5 parsecs' }, 'incremental.lookback'],
    [{ cursor: 'at', lookback: -1 }, 'incremental.lookback'],
    [{ cursor: 'at', initial: 5, lookback: '5m' }, 'incremental.lookback'],
    [{ cursor: 'at', initial: T(5), end: T(5) }, 'incremental.end'],
    [{ cursor: 'at', endParam: 'until' }, 'incremental.endParam'],
    [{ cursor: 'at', type: 'number', initial: 'abc' }, 'incremental.initial'],
    [{ cursor: 'at', maxBoundaryKeys: 0 }, 'incremental.maxBoundaryKeys'],
    [{ cursor: 'at', sortd: 'asc' }, 'incremental.sortd'],
  ])('refuses %j naming %s', (options, option) => {
    expect(() => parseIncremental(options as IncrementalOptions, 'incremental')).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining(`\`${option}\``) }),
    )
  })
})

describe('IncrementalRun', () => {
  it('queries from initial on a first sync, from the saved cursor minus lookback later', () => {
    expect(run({ initial: T(1) }).query()).toEqual({ since: T(1) })
    expect(run({ initial: T(1), lookback: '5s' }, { cursor: T(30), keys: ['1'] }).query()).toEqual({ since: T(25) })
    expect(run({}).query()).toEqual({})
    expect(run({ end: T(50), endParam: 'until' }).query()).toEqual({ until: T(50) })
  })

  it('writes rows at the saved value it has not seen, skips the ones it has (closed bound, de-duplicated)', () => {
    const r = run({}, { cursor: T(10), keys: ['1', '2'] })
    expect(r.accept(row(1, T(10)))).toBe(false)
    expect(r.accept(row(3, T(10)))).toBe(true)
    expect(r.accept(row(2, T(11)))).toBe(true) // changed since: a later value
    expect(r.accept(row(4, T(9)))).toBe(false) // below the bound
    expect(r.completed()).toEqual({ cursor: T(11), keys: ['2'] })
  })

  it('number cursors beyond 2^53 compare exactly: a row seen at the boundary and changed one step later is not skipped', () => {
    // As doubles both values are 2^53: row 1 would look already seen at the boundary and its change would be lost.
    const r = run({ type: 'number' }, { cursor: '9007199254740992', keys: ['1'] })
    expect(r.accept(row(1, '9007199254740993'))).toBe(true)
    expect(r.accept(row(2, '9007199254740992'))).toBe(true) // at the boundary, not seen there
    expect(r.accept(row(3, '9007199254740991'))).toBe(false) // below the bound
    expect(r.completed()).toEqual({ cursor: '9007199254740993', keys: ['1'] })
  })

  it('re-emits rows tied at a saved value whose keys overflowed the cap', () => {
    const r = run({ maxBoundaryKeys: 2 })
    for (const id of [1, 2, 3]) r.accept(row(id, T(5)))
    const saved = r.completed()
    expect(saved).toEqual({ cursor: T(5) }) // no keys: too many to remember
    const next = run({ maxBoundaryKeys: 2 }, saved)
    expect([1, 2, 3].map((id) => next.accept(row(id, T(5))))).toEqual([true, true, true])
  })

  it('treats end as exclusive and notes that it was passed', () => {
    const r = run({ end: T(20) })
    expect(r.accept(row(1, T(19)))).toBe(true)
    expect(r.pastEnd).toBe(false)
    expect(r.accept(row(2, T(20)))).toBe(false)
    expect(r.pastEnd).toBe(true)
    expect(r.completed()).toEqual({ cursor: T(19), keys: ['1'] })
  })

  it('unsorted: the saved cursor stays put until completion; the run carries the maximum', () => {
    const r = run({}, { cursor: T(10), keys: ['1'] })
    r.accept(row(5, T(40)))
    r.accept(row(6, T(20)))
    expect(r.progress()).toEqual({ saved: { cursor: T(10), keys: ['1'] }, run: { from: T(10), max: T(40), maxKeys: ['5'] } })
    expect(r.completed()).toEqual({ cursor: T(40), keys: ['5'] })
  })

  it('unsorted: a resumed run keeps its lower bound and maximum', () => {
    const r = run({ lookback: '1h' }, { cursor: T(10), keys: ['1'] }, { from: T(10), max: T(40), maxKeys: ['5'] })
    expect(r.query()).toEqual({ since: T(10) })
    r.accept(row(7, T(30)))
    expect(r.completed()).toEqual({ cursor: T(40), keys: ['5'] })
  })

  it('sorted: the saved cursor advances with every page', () => {
    const r = run({ sorted: 'asc' })
    r.accept(row(1, T(1)))
    r.accept(row(2, T(2)))
    expect(r.progress()).toEqual({ saved: { cursor: T(2), keys: ['2'] }, run: undefined })
  })

  it('sorted: a row lower than one before it fails with CURSOR_UNSORTED instead of risking a skipped row', () => {
    const r = run({ sorted: 'asc' })
    r.accept(row(1, T(5)))
    expect(() => r.accept(row(2, T(4)))).toThrow(expect.objectContaining({ code: 'CURSOR_UNSORTED', message: expect.stringContaining('{"id":2}') }))
  })

  it('sorted: rows read again at the last value read are skipped by key, also below the saved cursor (lookback)', () => {
    // Saved at T(30); lookback re-reads from T(20). Paging by the cursor asks again from each page's last value.
    const r = run({ sorted: 'asc', lookback: '10s' }, { cursor: T(30), keys: ['30'] })
    expect([row(21, T(21)), row(22, T(22))].map((x) => r.accept(x))).toEqual([true, true])
    expect([row(22, T(22)), row(23, T(23)), row(30, T(30)), row(31, T(30))].map((x) => r.accept(x))).toEqual([false, true, false, true])
    expect(r.completed()).toEqual({ cursor: T(30), keys: ['30', '31'] })
  })

  it('sorted: restartOrder lets the rows at a value be read again after higher ones, still skipping those written', () => {
    const r = run({ sorted: 'asc' })
    r.accept(row(1, T(5)))
    r.accept(row(2, T(6)))
    expect(() => r.accept(row(1, T(5)))).toThrow(expect.objectContaining({ code: 'CURSOR_UNSORTED' }))
    r.restartOrder()
    expect(r.accept(row(3, T(5)))).toBe(true)
    expect(r.completed()).toEqual({ cursor: T(6), keys: ['2'] })
  })

  it('onMissing: fail names the table and the row key', () => {
    expect(() => run({}).accept(row(9, null))).toThrow(
      expect.objectContaining({ code: 'CURSOR_MISSING', message: expect.stringMatching(/orders.*\{"id":9\}.*at/), context: expect.objectContaining({ table: 'orders', key: { id: 9 } }) }),
    )
  })

  it('onMissing: include writes the row and leaves the cursor alone', () => {
    const r = run({ onMissing: 'include' }, { cursor: T(3), keys: ['1'] })
    expect(r.accept({ id: 9 })).toBe(true)
    expect(r.completed()).toEqual({ cursor: T(3), keys: ['1'] })
  })

  it('onMissing: exclude records the row key in the errors and skips it', () => {
    const errors: ErrorRecord[] = []
    const r = run({ onMissing: 'exclude' }, undefined, undefined, errors)
    expect(r.accept({ id: 9, at: null })).toBe(false)
    expect(errors).toEqual([expect.objectContaining({ kind: 'record', table: 'orders', code: 'CURSOR_MISSING', record: { id: 9 } })])
  })

  it('fails with CURSOR_INVALID when values do not fit the type', () => {
    const r = run({ type: 'number' })
    expect(() => r.accept(row(1, 'not a number'))).toThrow(expect.objectContaining({ code: 'CURSOR_INVALID', message: expect.stringContaining('{"id":1}') }))
    const inferred = run({})
    inferred.accept(row(1, T(1)))
    expect(() => inferred.accept(row(2, 12))).toThrow(expect.objectContaining({ code: 'CURSOR_INVALID' }))
  })

  it('compares numeric cursors numerically and applies lookback in cursor units', () => {
    const r = run({ lookback: 5 }, { cursor: 100, keys: ['1'] })
    expect(r.query()).toEqual({ since: 95 })
    expect(r.accept(row(2, 99))).toBe(true)
    expect(r.accept(row(3, 1000))).toBe(true)
    expect(r.completed()).toEqual({ cursor: 1000, keys: ['3'] })
  })

  it('unsorted: caps the new cursor at the run start, so rows changed during the run are read again', () => {
    const r = run({}, { cursor: T(10), keys: ['1'] })
    r.markStart(Date.parse(T(30)))
    r.markStart(Date.parse(T(50))) // only the first call counts
    r.accept(row(5, T(40))) // changed after the run started
    r.accept(row(6, T(20)))
    expect(r.progress().run).toMatchObject({ signpost: Date.parse(T(29)) })
    expect(r.completed()).toEqual({ cursor: T(29) }) // one second of slack; no keys: rows at the cap are read again
  })

  it('unsorted: no cap when every value predates the run; a resumed run keeps its start', () => {
    const r = run({})
    r.markStart(Date.parse(T(59)))
    r.accept(row(1, T(40)))
    expect(r.completed()).toEqual({ cursor: T(40), keys: ['1'] })
    const resumed = run({}, undefined, { max: T(45), signpost: Date.parse(T(44)) })
    resumed.markStart(Date.parse(T(59)))
    expect(resumed.completed()).toEqual({ cursor: T(44) })
  })

  it('sorted: never capped (a changed row moves past every row read so far)', () => {
    const r = run({ sorted: 'asc' })
    r.markStart(Date.parse(T(30)))
    r.accept(row(5, T(40)))
    expect(r.completed()).toEqual({ cursor: T(40), keys: ['5'] })
  })
})

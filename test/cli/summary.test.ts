import { describe, expect, it } from 'vitest'
import { formatSummary } from '../../src/cli/summary.js'
import { count, humanDuration, textTable } from '../../src/cli/text-table.js'
import type { SyncReport } from '../../src/contracts/sync-report.js'

const report: SyncReport = {
  status: 'succeeded',
  connectorId: 'shop',
  syncId: 'x',
  startedAt: '2026-01-01T00:00:00.000Z',
  endedAt: '2026-01-01T00:00:02.000Z',
  durationMs: 2000,
  rows: 12_345,
  checkpoints: 13,
  schemaChanges: 2,
  tables: {
    orders: { upserts: 12_000, updates: 0, deletes: 300, truncates: 0 },
    customers: { upserts: 45, updates: 0, deletes: 0, truncates: 1 },
  },
}

describe('formatSummary', () => {
  it('prints Operation | Calls like fivetran debug, then rows per table, then status and speed', () => {
    expect(formatSummary(report, { orders: { rows: 50_000, deleted: 300 } })).toBe(
      [
        'Operation     |  Calls',
        '--------------+-------',
        'Upserts       | 12,045',
        'Updates       |      0',
        'Deletes       |    300',
        'Truncates     |      1',
        'SchemaChanges |      2',
        'Checkpoints   |     13',
        '',
        'Table     | Upserts | Updates | Deletes | Truncates | Rows in warehouse | Soft-deleted',
        '----------+---------+---------+---------+-----------+-------------------+-------------',
        'customers |      45 |       0 |       0 |         1 |                 - |            -',
        'orders    |  12,000 |       0 |     300 |         0 |            50,000 |          300',
        '',
        'Status: succeeded · 12,345 rows in 2.0s (6,173 rows/s)',
        '',
      ].join('\n'),
    )
  })

  it('adds a MAR column when the report has MAR, and says why a sync stopped', () => {
    const text = formatSummary({ ...report, status: 'stopped', stopReason: 'deadline', mar: { orders: 7 } })
    expect(text).toMatch(/^Table\s+\|.*\| New MAR this run \|/m)
    expect(text).toMatch(/^orders\s+\|.*\|\s+7 \|/m)
    expect(text).toContain('Status: stopped (deadline)')
  })

  it('labels this run\'s new MAR apart from the month\'s MAR so far', () => {
    const text = formatSummary({ ...report, mar: { orders: 7, customers: 0 } }, {}, { month: '2026-01', tables: { orders: { rows: 9_000, approximate: false }, customers: { rows: 45, approximate: true } } })
    expect(text).toMatch(/^Table\s+\|.*\| New MAR this run \| MAR 2026-01 \|/m)
    expect(text).toMatch(/^orders\s+\|.*\|\s+7 \|\s+9,000 \|/m)
    expect(text).toMatch(/^customers\s+\|.*\|\s+0 \|\s+~45 \|/m)
  })

  it('counts rows skipped by an error policy', () => {
    expect(formatSummary({ ...report, errors: 3 })).toContain('(6,173 rows/s) · 3 skipped (see _sluice_errors)\n')
  })

  it('shows tables that are only in the warehouse (nothing synced this time)', () => {
    const text = formatSummary({ ...report, rows: 0, tables: {} }, { orders: { rows: 10, deleted: 0 } })
    expect(text).toMatch(/^orders\s+\|\s+0 \|\s+0 \|\s+0 \|\s+0 \|\s+10 \|\s+0$/m)
    expect(text).toContain('Status: succeeded · 0 rows in 2.0s\n')
  })
})

describe('text helpers', () => {
  it('formats counts and durations the same on every locale', () => {
    expect(count(1234567)).toBe('1,234,567')
    expect(count(999)).toBe('999')
    expect(humanDuration(850)).toBe('850ms')
    expect(humanDuration(12_340)).toBe('12.3s')
    expect(humanDuration(245_000)).toBe('4m 05s')
  })

  it('pads columns and right-aligns numbers', () => {
    expect(textTable([{ header: 'a' }, { header: 'n', right: true }], [['xyz', '1']])).toBe('a   | n\n----+--\nxyz | 1\n')
  })
})

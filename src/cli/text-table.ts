/** One column of a text table: its header and whether values are right-aligned (numbers). */
export interface TextColumn {
  readonly header: string
  readonly right?: boolean
}

/**
 * Renders rows as a plain-text table in the `fivetran debug` style, header, a `-+-` rule,
 * then one line per row, columns padded to their widest cell.
 *
 * @example
 * ```ts
 * import { textTable } from './text-table.js'
 * textTable([{ header: 'Operation' }, { header: 'Calls', right: true }], [['Upserts', '3']])
 * ```
 */
export function textTable(columns: readonly TextColumn[], rows: readonly (readonly string[])[]): string {
  const widths = columns.map((c, i) => Math.max(c.header.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: readonly string[]) =>
    columns
      .map((c, i) => {
        const cell = cells[i] ?? ''
        return c.right ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)
      })
      .join(' | ')
      .trimEnd()
  const rule = widths.map((w) => '-'.repeat(w)).join('-+-')
  return [line(columns.map((c) => c.header)), rule, ...rows.map(line)].join('\n') + '\n'
}

/** A count with thousands separators (`12,345`), the same on every locale. */
export function count(n: number): string {
  return Math.round(n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',')
}

/** A duration for people: `850ms`, `12.3s`, `4m 05s`. */
export function humanDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`
  const s = Math.floor(ms / 1000)
  return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`
}

/** Formatting of the one table each scenario prints (GitHub markdown, so it pastes into the README). */

/** `652k`, `1.23M`: three significant digits are all a noisy VM supports. */
export function formatRate(rowsPerSecond: number): string {
  if (rowsPerSecond >= 1e6) return `${(rowsPerSecond / 1e6).toPrecision(3)}M`
  if (rowsPerSecond >= 1e3) return `${(rowsPerSecond / 1e3).toPrecision(3)}k`
  return rowsPerSecond.toPrecision(3)
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/** A markdown table with right-aligned numeric columns (all but the first). */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)))
  const line = (cells: readonly string[]) =>
    `| ${cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join(' | ')} |`
  const rule = `| ${widths.map((w, c) => (c === 0 ? '-'.repeat(w) : '-'.repeat(w - 1) + ':')).join(' | ')} |`
  return [line(header), rule, ...rows.map(line)].join('\n')
}

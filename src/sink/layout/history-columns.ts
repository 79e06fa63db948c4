/**
 * The version columns of a history-mode (SCD2) table, as Fivetran names them: when a version
 * started, when it ended, and whether it is the key's current one.
 */
export const HISTORY = { start: '_sluice_start', end: '_sluice_end', active: '_sluice_active' } as const

/** `_sluice_end` of the active version: the end of time, not NULL, so range queries need no COALESCE. */
export const END_OF_TIME = '9999-12-31T23:59:59.999Z'

/** When a version replaced at `start` (ISO) ends: 1 ms before, as Fivetran closes it, so versions never overlap. */
export function endBefore(start: string): string {
  return new Date(Date.parse(start) - 1).toISOString()
}

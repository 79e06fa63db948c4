import { randomUUID } from 'node:crypto'
import { existsSync, statSync } from 'node:fs'
import { open, rm } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import type { CheckResult } from '../contracts/check.js'

/**
 * The check of a file destination: can sluice write where it would. For a `'file'` (a SQLite or
 * DuckDB warehouse) its directory must exist and take a new file, and the file, if it exists, must
 * open for writing; for a `'directory'` (the files sink) the nearest existing ancestor must take a
 * new file, since the sink creates the rest. It really writes and removes a probe file, because
 * permission bits alone lie (ACLs, read-only mounts, root).
 *
 * @example
 * ```ts
 * import { writableCheck } from './writable-check.js'
 * const [result] = await writableCheck({ name: 'sqlite: file', path: 'files/warehouse.db', kind: 'file' })
 * console.log(result?.ok)
 * ```
 */
export async function writableCheck(args: { readonly name: string; readonly path: string; readonly kind: 'file' | 'directory' }): Promise<CheckResult[]> {
  const { name, path, kind } = args
  const fail = (message: string, hint: string): CheckResult[] => [{ name, ok: false, message, hint, code: 'DESTINATION_UNAVAILABLE' }]
  let dir = kind === 'file' ? dirname(path) : path
  if (kind === 'directory') {
    while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir)
  } else if (!existsSync(dir)) {
    return fail(`directory ${dir} does not exist`, 'create it first, or choose another path')
  }
  if (!statSync(dir).isDirectory()) return fail(`${dir} is a file, not a directory`, 'choose a path inside a directory')
  const probe = join(dir, `.sluice-check-${randomUUID()}`)
  try {
    await (await open(probe, 'wx')).close()
    await rm(probe, { force: true })
  } catch (cause) {
    return fail(`can't create a file in ${dir}: ${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}`, 'give the user running sluice write access to it, or choose another path')
  }
  if (kind === 'file' && existsSync(path)) {
    try {
      if (statSync(path).isDirectory()) return fail(`${path} is a directory`, 'point path at a file')
      await (await open(path, 'r+')).close()
    } catch (cause) {
      return fail(`can't open ${path} for writing: ${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}`, 'give the user running sluice write access to it')
    }
    return [{ name, ok: true, message: `${path} exists and is writable` }]
  }
  if (kind === 'directory' && dir !== path) {
    // The sink creates it on open; the check leaves no directory behind.
    return [{ name, ok: true, message: `${path} will be created in ${dir}, which is writable` }]
  }
  return [{ name, ok: true, message: kind === 'file' ? `${path} will be created in ${dir}, which is writable` : `${path} is writable` }]
}

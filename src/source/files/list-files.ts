import { readdir, stat } from 'node:fs/promises'
import { join, relative, resolve, sep } from 'node:path'
import { SluiceError } from '../../core/sluice-error.js'

/** A file found by {@link listFiles}: its absolute path and modification time in nanoseconds (exact, as text). */
export interface ListedFile {
  readonly path: string
  readonly mtimeNs: string
  readonly size: number
}

/**
 * The files a `fileSource` path names, oldest modification first (ties by path): a single file,
 * every file under a directory (recursively; names starting with `.` or `_` are skipped, as Spark
 * and Hive do for metadata and in-progress files), or a glob — `*` and `?` within a path
 * segment, `**` across segments, `{a,b}` alternatives — matched against paths under the glob's
 * fixed leading directories. `keep` filters by name (e.g. by extension). Modification times are
 * compared in nanoseconds, so two writes within one millisecond still order.
 *
 * @example
 * ```ts
 * import { listFiles } from './list-files.js'
 * await listFiles('data/**\/*.csv') // [{ path: '/…/data/2026/a.csv', mtimeNs: '1795…', size: 120 }]
 * ```
 */
export async function listFiles(pattern: string, keep: (name: string) => boolean = () => true): Promise<ListedFile[]> {
  const absolute = resolve(pattern)
  const parts = absolute.split(sep)
  const firstGlob = parts.findIndex((p) => /[*?{[]/.test(p))
  let found: string[]
  if (firstGlob === -1) {
    const info = await statOrMissing(absolute, pattern)
    found = info.isDirectory() ? (await walk(absolute)).filter((f) => keep(f)) : [absolute]
  } else {
    const base = parts.slice(0, firstGlob).join(sep) || sep
    const matcher = globRegExp(parts.slice(firstGlob).join('/'))
    await statOrMissing(base, pattern)
    found = (await walk(base)).filter((f) => matcher.test(relative(base, f).split(sep).join('/')))
  }
  const listed = await Promise.all(
    found.map(async (path): Promise<ListedFile | undefined> => {
      const info = await stat(path, { bigint: true }).catch(() => undefined) // deleted since the walk
      return info?.isFile() ? { path, mtimeNs: info.mtimeNs.toString(), size: Number(info.size) } : undefined
    }),
  )
  return listed.filter((f): f is ListedFile => f !== undefined).sort(compareFiles)
}

/** Order of processing: modification time, then path. */
export function compareFiles(a: { mtimeNs: string; path: string }, b: { mtimeNs: string; path: string }): number {
  const ta = BigInt(a.mtimeNs)
  const tb = BigInt(b.mtimeNs)
  if (ta !== tb) return ta < tb ? -1 : 1
  return a.path < b.path ? -1 : a.path > b.path ? 1 : 0
}

async function statOrMissing(path: string, pattern: string) {
  try {
    return await stat(path)
  } catch (cause) {
    throw new SluiceError({
      code: 'SOURCE_FAILED',
      message: `fileSource: ${pattern} does not exist (${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message})`,
      cause,
      context: { path: pattern },
    })
  }
}

async function walk(dir: string): Promise<string[]> {
  const out: string[] = []
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.') || entry.name.startsWith('_')) continue
    const path = join(dir, entry.name)
    if (entry.isDirectory()) out.push(...(await walk(path)))
    else if (entry.isFile()) out.push(path)
  }
  return out
}

/** A glob (relative, `/`-separated) as an anchored regular expression. */
export function globRegExp(glob: string): RegExp {
  let re = ''
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!
    if (c === '*') {
      if (glob[i + 1] === '*') {
        // `**/` matches zero or more whole segments; a trailing `**` anything.
        if (glob[i + 2] === '/') {
          re += '(?:[^/]*/)*'
          i += 2
        } else {
          re += '.*'
          i++
        }
      } else re += '[^/]*'
    } else if (c === '?') re += '[^/]'
    else if (c === '{') {
      const end = glob.indexOf('}', i)
      if (end === -1) re += '\\{'
      else {
        re += `(?:${glob.slice(i + 1, end).split(',').map(escape).join('|')})`
        i = end
      }
    } else re += escape(c)
  }
  return new RegExp(`^${re}$`)
}

function escape(text: string): string {
  return text.replace(/[.+^${}()|[\]\\*?]/g, '\\$&')
}

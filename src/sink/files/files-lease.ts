import { randomUUID } from 'node:crypto'
import { link, mkdir, open, readdir, readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { ConnectorStore, LeaseArgs, LeaseResult } from '../../contracts/connector-store.js'
import { SluiceError } from '../../core/sluice-error.js'
import { decideLease, mayRelease, type HeldLease } from '../../warehouse/control/lease-rule.js'
import { syncDirectory } from './atomic-write.js'

/** Folder (under the sink's directory) holding one folder of versions per lease. */
export const LEASE_DIR = '_sluice/leases'

/** One version of a lease: who holds it until when; `holder: null` once released. */
type LeaseVersion = HeldLease

/** Compare-and-swap attempts before giving up on a lease that keeps changing under us. */
const ATTEMPTS = 50

/**
 * Leases of the files sink, safe across processes sharing the directory without any lock
 * server: a lease is a folder of numbered versions (`1.json`, `2.json`, …) and the highest one
 * is current. Every change (take, renew, take over, release) reads the current version n and
 * creates version n + 1 by hard-linking a fully written, fsynced temp file to `<n+1>.json`: the
 * link fails if the name exists, so of two processes deciding on version n exactly one wins
 * (a compare-and-swap), and a reader never sees a half-written version. A crash leaves either
 * version n or n + 1, both whole. Old versions are deleted behind the current one.
 * The directory must be on a file system with hard links (any local one; not FAT). Who may take
 * or release a lease is the shared rule of `warehouse/control/lease-rule.ts`.
 */
export function filesLeases(dir: string): Required<Pick<ConnectorStore, 'acquireLease' | 'releaseLease'>> {
  return {
    async acquireLease({ name, holder, ttlMs, now }: LeaseArgs): Promise<LeaseResult> {
      const folder = leaseFolder(dir, name)
      await mkdir(folder, { recursive: true })
      let seen: LeaseVersion | undefined
      for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
        const { version, lease } = await current(folder)
        seen = lease
        const decided = decideLease(lease, { name, holder, ttlMs, now })
        if ('refused' in decided) return decided.refused
        if (await propose(folder, version + 1, decided.take)) return { acquired: true, expiresAt: decided.take.expiresAt }
      }
      return { acquired: false, holder: seen?.holder ?? 'another process (the lease kept changing)', expiresAt: seen?.expiresAt ?? now + ttlMs }
    },
    async releaseLease({ name, holder }) {
      const folder = leaseFolder(dir, name)
      for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
        const { version, lease } = await current(folder)
        if (!mayRelease(lease, holder)) return // not ours (any more): someone else's to release
        if (await propose(folder, version + 1, { holder: null, expiresAt: 0, acquiredAt: lease!.acquiredAt })) return
      }
    },
  }
}

function leaseFolder(dir: string, name: string): string {
  // encodeURIComponent keeps the name readable and leaves no separator or ':' in it.
  return join(dir, LEASE_DIR, encodeURIComponent(name).replace(/\*/g, '%2A'))
}

function versionsIn(names: readonly string[]): number[] {
  return names.flatMap((n) => {
    const m = /^(\d+)\.json$/.exec(n)
    return m ? [Number(m[1])] : []
  })
}

/** The highest version and its content (version 0: the lease was never taken). */
async function current(folder: string): Promise<{ version: number; lease?: LeaseVersion }> {
  for (;;) {
    const names = await readdir(folder).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return [] as string[]
      throw error
    })
    const version = Math.max(0, ...versionsIn(names))
    if (version === 0) return { version }
    const path = join(folder, `${version}.json`)
    let text: string
    try {
      text = await readFile(path, 'utf8')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue // superseded and deleted meanwhile: look again
      throw error
    }
    try {
      return { version, lease: JSON.parse(text) as LeaseVersion }
    } catch (cause) {
      throw new SluiceError({ code: 'STATE_INVALID', message: `files: lease ${path} is not valid JSON; it was not written by sluice or was edited (delete it to free the lease)`, cause, context: { path } })
    }
  }
}

/**
 * Creates version `version` with `lease` unless it exists; true when ours is now the current
 * version. A version number freed by the clean-up could be linked again by a process that read
 * an old version: then a higher version exists already, ours is dropped and the caller re-reads.
 */
async function propose(folder: string, version: number, lease: LeaseVersion): Promise<boolean> {
  const temp = join(folder, `.${process.pid}-${randomUUID()}.tmp`)
  const handle = await open(temp, 'wx')
  try {
    await handle.writeFile(`${JSON.stringify(lease)}\n`)
    await handle.sync()
  } finally {
    await handle.close()
  }
  const path = join(folder, `${version}.json`)
  try {
    await link(temp, path)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw new SluiceError({ code: 'DESTINATION_WRITE', message: `files: can't write lease ${path} (the directory needs a file system with hard links): ${(error as Error).message}`, cause: error, context: { path } })
  } finally {
    await rm(temp, { force: true })
  }
  const versions = versionsIn(await readdir(folder))
  if (versions.some((v) => v > version)) {
    await rm(path, { force: true })
    return false
  }
  await syncDirectory(folder)
  // Keep the previous version for readers that listed the folder just before ours appeared.
  for (const v of versions) if (v < version - 1) await rm(join(folder, `${v}.json`), { force: true })
  return true
}

import { open, rename } from 'node:fs/promises'
import { dirname } from 'node:path'

/**
 * Writes `data` to `path` so that a crash leaves the old file or the new one, never a torn one:
 * a temp file beside it is written and fsynced, renamed over `path`, and the directory fsynced
 * so the rename itself survives a power loss.
 *
 * @example
 * ```ts
 * import { atomicWrite } from './atomic-write.js'
 * await atomicWrite('lake/_sluice_state.json', '{}\n')
 * ```
 */
export async function atomicWrite(path: string, data: string | Uint8Array): Promise<void> {
  const temp = `${path}.${process.pid}.tmp`
  const handle = await open(temp, 'w')
  try {
    await handle.writeFile(data)
    await handle.sync()
  } finally {
    await handle.close()
  }
  await rename(temp, path)
  await syncDirectory(dirname(path))
}

/** fsyncs a directory, making renames and new entries in it durable. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}

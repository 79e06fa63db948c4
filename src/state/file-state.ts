import { mkdir, open, readFile, rename, rm } from 'node:fs/promises'
import { dirname } from 'node:path'
import { parseState, serializeState } from '../core/json-state.js'
import type { State } from '../core/message.js'
import { SluiceError } from '../core/sluice-error.js'
import type { StateStore } from '../contracts/state-store.js'
import { knownOptions } from '../core/check-option.js'

/** Options of {@link fileState}. */
export interface FileStateOptions {
  /** The JSON file, e.g. `files/state.json`. Holds `{ connectorId: state }` when `shared`, else the state itself. */
  readonly path: string
  /** Key states by connector id in one file (default false: the file is one connector's state, as Fivetran's). */
  readonly shared?: boolean
}

/**
 * A state store in a JSON file, written atomically: a temp file is written and fsynced, then
 * renamed over the old one and the directory fsynced, so a crash leaves the old or the new
 * state, never a torn one.
 *
 * @example
 * ```ts
 * import { fileState } from 'sluice'
 * const store = fileState({ path: 'files/state.json' })
 * ```
 */
export function fileState(options: FileStateOptions): StateStore {
  knownOptions(options, { path: true, shared: true }, 'fileState')
  const path = options.path
  const readAll = async (): Promise<Record<string, State> | State | undefined> => {
    let text: string
    try {
      text = await readFile(path, 'utf8')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw new SluiceError({ code: 'STATE_INVALID', message: `can't read state file ${path}: ${(error as Error).message}`, cause: error, context: { path } })
    }
    return text.trim() === '' ? undefined : parseState(text, path)
  }
  const write = async (value: State | Record<string, State>) => {
    const text = serializeState(value)
    await mkdir(dirname(path), { recursive: true })
    const temp = `${path}.${process.pid}.tmp`
    const handle = await open(temp, 'w')
    try {
      await handle.writeFile(text + '\n')
      await handle.sync()
    } finally {
      await handle.close()
    }
    await rename(temp, path)
    const dir = await open(dirname(path), 'r')
    try {
      await dir.sync()
    } finally {
      await dir.close()
    }
  }
  return {
    async load({ connectorId }) {
      const all = await readAll()
      if (!all) return undefined
      if (!options.shared) return all as State
      const one = (all as Record<string, State>)[connectorId]
      return one === undefined ? undefined : one
    },
    async save({ connectorId, state }) {
      if (!options.shared) return write(state)
      const all = ((await readAll()) ?? {}) as Record<string, State>
      return write({ ...all, [connectorId]: state })
    },
    async clear({ connectorId }) {
      if (!options.shared) return rm(path, { force: true })
      const all = ((await readAll()) ?? {}) as Record<string, State>
      const { [connectorId]: _removed, ...rest } = all
      return write(rest)
    },
  }
}

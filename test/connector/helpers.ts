import { op, type Message, type Source } from '../../src/index.js'

/** Waits (macrotask turns, no timers) until `check` holds; throws after `turns` turns. */
export async function until(check: () => boolean, what: string, turns = 2000): Promise<void> {
  for (let i = 0; i < turns; i++) {
    if (check()) return
    await new Promise((r) => setImmediate(r))
  }
  throw new Error(`timed out waiting for ${what}`)
}

/** Like `until`, for a check that must await (e.g. `connector.status()`). */
export async function eventually(check: () => Promise<boolean>, what: string, turns = 2000): Promise<void> {
  for (let i = 0; i < turns; i++) {
    if (await check()) return
    await new Promise((r) => setImmediate(r))
  }
  throw new Error(`timed out waiting for ${what}`)
}

/** A gate a test opens by hand. */
export function gate(): { wait: Promise<void>; open(): void } {
  let open!: () => void
  const wait = new Promise<void>((r) => (open = r))
  return { wait, open }
}

/** Upserts ids from..to of table `t` then a checkpoint. */
export function page(from: number, to: number, state: number): Message[] {
  return [op.upsert('t', Array.from({ length: to - from + 1 }, (_, i) => ({ id: from + i }))), op.checkpoint({ n: state })]
}

/** A source keyed by id; `behave()` decides per read what to yield or throw. */
export function controlled(behave: () => AsyncGenerator<Message> | Message[]): Source {
  return {
    id: 'controlled',
    tables: () => [{ table: 't', primaryKey: ['id'] }],
    async *read() {
      yield* behave() as AsyncIterable<Message>
    },
  }
}

import { afterAll, beforeAll, expect, it } from 'vitest'
import { isSluiceError } from '../../../../src/index.js'
import { openBinlogStream } from '../../../../src/source/mysql/cdc/binlog-stream.js'
import { startPrivateMariadb, type PrivateMariadb } from '../../../support/private-mariadb.js'
import { admin } from './cdc-helpers.js'

// The binlog connection of a continuous sync idles for as long as the database does: the server sends
// heartbeats (asked for on the dump connection), and a stream that hears nothing for 3 periods is
// taken as lost (a retryable failure) instead of waiting forever on a dead socket.
let db: PrivateMariadb
beforeAll(async () => {
  db = await startPrivateMariadb()
}, 120_000)
afterAll(async () => {
  process.kill(db.pid, 'SIGCONT')
  await db?.stop()
})

it('hears heartbeats while idle, and fails retryably when the server goes silent', async () => {
  const sql = await admin(db.url)
  const [[from]] = (await sql.query('SHOW MASTER STATUS')) as unknown as [[{ File: string; Position: number }]]
  await sql.end()
  const url = new URL(db.url)
  const stream = await openBinlogStream({
    connection: { host: url.hostname, port: Number(url.port), user: 'root' },
    serverId: 4242,
    from: { file: from.File, pos: from.Position },
    tables: { sluice: ['t'] },
    heartbeatMs: 200,
  })
  try {
    // Idle for 5 periods, longer than the 3 it tolerates: heartbeats keep it alive.
    const until = Date.now() + 1_000
    while (Date.now() < until) {
      const change = await stream.next(100)
      expect(change === undefined || change.kind === 'boundary').toBe(true)
    }
    process.kill(db.pid, 'SIGSTOP')
    let failure: unknown
    for (let i = 0; i < 100 && failure === undefined; i++) await stream.next(100).catch((e: unknown) => (failure = e))
    expect(isSluiceError(failure) && failure.code === 'SOURCE_FAILED' && failure.retryable).toBe(true)
    expect((failure as Error).message).toMatch(/no event and no heartbeat/)
  } finally {
    process.kill(db.pid, 'SIGCONT')
    await stream.close()
  }
}, 60_000)

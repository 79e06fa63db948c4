/**
 * One fleet worker process, as the proofs and the bench spawn, SIGKILL, SIGSTOP and restart it:
 * builds the items connector (fleet-connector.ts) from the environment, runs `runWorker`, and logs
 * JSON lines on stdout (its own events, and the worker's logger: a stale writer's refused commit is a
 * line with `"code":"FENCED"`). SIGTERM closes the worker gracefully (running syncs stop at their next
 * checkpoint) and exits 0.
 *
 *   FLEET_WORKER=w1 FLEET_API=http://… FLEET_SCHEMA=… FLEET_REDIS_PORT=… node --import tsx test/fleet/support/worker-child.ts
 *
 * Optional: FLEET_CONNECTOR (default 'items'), FLEET_SPAN (default 6250), FLEET_PAGE (500), FLEET_PREFIX
 * ('sluice'), FLEET_LOCK_MS, FLEET_STALLED_MS, FLEET_EVERY_MS (a scheduled connector), FLEET_CHECKPOINT_ROWS
 * (idCursor `checkpointEvery.rows`), FLEET_START=1
 * (also call `fleet().start()` from this process), FLEET_LOG_LEVEL ('info').
 */
import { jsonLogger, type LogLevel } from '../../../src/index.js'
import { fleet, runWorker } from '../../../src/bullmq.js'
import { itemsConnector } from './fleet-connector.js'

// stdout to a pipe is synchronous on Linux: a line printed is a line the parent reads, even if killed next.
const say = (event: string, fields: Record<string, unknown> = {}) => process.stdout.write(`${JSON.stringify({ event, worker: name, pid: process.pid, ...fields })}\n`)

function need(key: string): string {
  const value = process.env[key]
  if (value === undefined || value === '') {
    process.stderr.write(`worker-child: ${key} is required\n`)
    process.exit(2)
  }
  return value
}
const optionalNumber = (key: string): number | undefined => (process.env[key] ? Number(process.env[key]) : undefined)

const name = need('FLEET_WORKER')
const logger = jsonLogger({ level: (process.env.FLEET_LOG_LEVEL ?? 'info') as LogLevel, write: (line) => void process.stdout.write(line), base: { worker: name } })
const connection = { host: '127.0.0.1', port: Number(need('FLEET_REDIS_PORT')) }
const prefix = process.env.FLEET_PREFIX ?? 'sluice'
const everyMs = optionalNumber('FLEET_EVERY_MS')
const connectors = [
  itemsConnector({
    id: process.env.FLEET_CONNECTOR ?? 'items',
    apiUrl: need('FLEET_API'),
    schema: need('FLEET_SCHEMA'),
    span: optionalNumber('FLEET_SPAN') ?? 6250,
    page: optionalNumber('FLEET_PAGE') ?? 500,
    ...(process.env.FLEET_CHECKPOINT_ROWS ? { checkpointRows: Number(process.env.FLEET_CHECKPOINT_ROWS) } : {}),
    worker: name,
    logger,
    ...(everyMs !== undefined ? { everyMs } : {}),
  }),
]
const lockMs = optionalNumber('FLEET_LOCK_MS')
const stalledMs = optionalNumber('FLEET_STALLED_MS')

const worker = await runWorker({
  connection,
  connectors,
  prefix,
  concurrency: 1,
  name,
  logger,
  ...(lockMs !== undefined ? { lockDuration: lockMs } : {}),
  ...(stalledMs !== undefined ? { stalledInterval: stalledMs } : {}),
})
const scheduler = process.env.FLEET_START === '1' ? await fleet({ connection, connectors, prefix }) : undefined
await scheduler?.start()
say('ready')

let closing = false
process.on('SIGTERM', () => {
  if (closing) return
  closing = true
  say('closing')
  void (async () => {
    try {
      await worker.close()
      await scheduler?.close()
      say('closed')
      process.exit(0)
    } catch (error) {
      say('close-failed', { error: error instanceof Error ? error.message : String(error) })
      process.exit(1)
    }
  })()
})

import { resolve } from 'node:path'
import { SluiceError } from '../core/sluice-error.js'
import type { CliIo } from './cli-io.js'
import { importUserModule } from './load-connector.js'
import { parseArgs, usage } from './parse-args.js'
import { count, textTable } from './text-table.js'

/** Help for `sluice worker`. */
export const WORKER_HELP = `Usage: sluice worker <fleet-file> [--redis url] [--concurrency n] [--name name] [--prefix p]

Runs a fleet worker: takes the jobs of the connectors in <fleet-file> from Redis (BullMQ) and runs
them — syncs, backfill partitions, completions — until SIGTERM or SIGINT, when running syncs stop at
their next checkpoint and their jobs go back to the queue for another worker. Start as many as you
like, on as many machines. <fleet-file> (TypeScript or JavaScript) exports \`connectors\` (the same
definitions createConnector takes, plus api and partitions), and optionally \`apis\`, \`redis\` and \`prefix\`.

Options:
  --redis url         Redis of the fleet (default: the file's \`redis\` export, else $SLUICE_REDIS)
  --concurrency n     jobs at once per queue (default 1)
  --name name         this worker's name in status (default host:pid:random)
  --prefix p          the fleet's key prefix in Redis (default sluice)
`

/** Help for `sluice fleet`. */
export const FLEET_HELP = `Usage: sluice fleet <fleet-file> [status | sync <id> | pause <id> | resume <id> | schedule] [--redis url] [--prefix p]

The control side of a fleet (see \`sluice worker\`): status (default) shows its workers, the depth
of its queues and per connector what runs now (backfill partitions done/total), its last sync and
next run; sync enqueues a run now and waits for it; pause and resume act fleet-wide; schedule
creates the job schedulers of the connectors that have a schedule.
`

/** What a fleet file exports. */
export interface FleetFile {
  readonly connectors: unknown
  readonly apis?: unknown
  readonly redis?: unknown
  /** The fleet's key prefix in Redis (a `--prefix` flag wins). */
  readonly prefix?: unknown
}

/** Loads a fleet file (its `connectors`, `apis`, `redis`) and the Redis to use (`--redis`, the file's, `$SLUICE_REDIS`). */
export async function loadFleetFile(file: string, io: CliIo, command: string, redisFlag: string | undefined): Promise<{ module: FleetFile; connection: unknown }> {
  const module = (await importUserModule(resolve(io.cwd, file))) as unknown as FleetFile
  if (!Array.isArray(module.connectors)) {
    throw new SluiceError({ code: 'CONNECTOR_LOAD', message: `${file} must export \`connectors\`: an array of connector definitions ({ id, source, destination, … })`, context: { file } })
  }
  const connection = redisFlag ?? module.redis ?? (io.env.SLUICE_REDIS || undefined)
  if (connection === undefined) throw usage(command, 'no Redis given: pass --redis redis://host:port, export `redis` from the fleet file or set SLUICE_REDIS')
  return { module, connection }
}

/** `sluice worker <fleet-file>`: a worker until SIGTERM/SIGINT; resolves to the exit code once it stopped. */
export async function workerCommand(argv: readonly string[], io: CliIo, signals: NodeJS.EventEmitter = process): Promise<number> {
  const args = parseArgs(argv, { command: 'worker', values: ['redis', 'concurrency', 'name', 'prefix'], maxPositionals: 1 })
  if (args.flags.has('help')) {
    io.out(WORKER_HELP)
    return 0
  }
  const file = args.positionals[0]
  if (!file) throw usage('worker', 'give the fleet file that exports `connectors`')
  const { module, connection } = await loadFleetFile(file, io, 'worker', args.values.redis)
  const concurrency = args.values.concurrency === undefined ? undefined : Number(args.values.concurrency)
  if (concurrency !== undefined && (!Number.isInteger(concurrency) || concurrency < 1)) throw usage('worker', `--concurrency must be a positive integer, got ${JSON.stringify(args.values.concurrency)}`)
  const { runWorker } = await import('../fleet/worker.js')
  const worker = await runWorker({
    connection: connection as never,
    connectors: module.connectors as never,
    ...(module.apis !== undefined ? { apis: module.apis as never } : {}),
    ...(concurrency !== undefined ? { concurrency } : {}),
    ...(args.values.name !== undefined ? { name: args.values.name } : {}),
    ...((args.values.prefix ?? module.prefix) !== undefined ? { prefix: (args.values.prefix ?? module.prefix) as string } : {}),
  })
  io.err(`sluice worker ${worker.name}: running ${(module.connectors as unknown[]).length} connector(s); SIGTERM stops at the next checkpoint\n`)
  await new Promise<void>((done) => {
    const stop = () => {
      signals.off('SIGTERM', stop)
      signals.off('SIGINT', stop)
      void worker.close().then(done, done)
    }
    signals.on('SIGTERM', stop)
    signals.on('SIGINT', stop)
  })
  return 0
}

/** `sluice fleet <fleet-file> [status | sync id | pause id | resume id | schedule]`. */
export async function fleetCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv, { command: 'fleet', values: ['redis', 'prefix'], maxPositionals: 3 })
  if (args.flags.has('help')) {
    io.out(FLEET_HELP)
    return 0
  }
  const [file, action = 'status', id] = args.positionals
  if (!file) throw usage('fleet', 'give the fleet file that exports `connectors`')
  if (!['status', 'sync', 'pause', 'resume', 'schedule'].includes(action)) throw usage('fleet', `unknown action ${JSON.stringify(action)}`)
  if (['sync', 'pause', 'resume'].includes(action) && !id) throw usage('fleet', `${action} needs a connector id`)
  const { module, connection } = await loadFleetFile(file, io, 'fleet', args.values.redis)
  const { fleet } = await import('../fleet/fleet.js')
  const f = await fleet({
    connection: connection as never,
    connectors: module.connectors as never,
    ...(module.apis !== undefined ? { apis: module.apis as never } : {}),
    ...((args.values.prefix ?? module.prefix) !== undefined ? { prefix: (args.values.prefix ?? module.prefix) as string } : {}),
  })
  try {
    if (action === 'sync') {
      const run = await f.sync(id!)
      const outcome = await run.finished()
      io.out(`${outcome.connectorId}: ${outcome.status}, ${count(outcome.rows)} rows${outcome.partitions ? ` in ${outcome.partitions} partitions` : ''}${outcome.error ? ` — error [${outcome.error.code}]: ${outcome.error.message}` : ''}\n`)
      return outcome.status === 'failed' ? 1 : 0
    }
    if (action === 'pause' || action === 'resume') {
      await f[action](id!)
      io.out(`${id}: ${action === 'pause' ? 'paused' : 'resumed'} fleet-wide\n`)
      return 0
    }
    if (action === 'schedule') {
      await f.start()
      io.out('job schedulers created for the scheduled connectors\n')
      return 0
    }
    const s = await f.status()
    io.out(`workers: ${s.workers.length === 0 ? 'none' : [...new Set(s.workers.map((w) => w.name))].join(', ')}\n`)
    for (const [queue, counts] of Object.entries(s.queues)) {
      io.out(`queue ${queue}: ${Object.entries(counts).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(', ') || 'empty'}\n`)
    }
    const rows = s.connectors.map((c) => [
      c.id,
      c.paused ? 'paused' : c.running.length > 0 || c.backfill ? 'running' : c.failures > 0 ? 'failing' : 'idle',
      c.backfill ? `${c.backfill.done}/${c.backfill.partitions}${c.backfill.failed ? ` (${c.backfill.failed} failed)` : ''}` : '-',
      String(c.running.length),
      c.lastSync ? `${c.lastSync.status} ${c.lastSync.endedAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z')}` : '-',
      c.nextRunAt ? c.nextRunAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '-',
    ])
    io.out(textTable([{ header: 'connector' }, { header: 'state' }, { header: 'partitions', right: true }, { header: 'jobs', right: true }, { header: 'last sync' }, { header: 'next run' }], rows))
    return 0
  } finally {
    await f.close()
  }
}

/**
 * A process of test/connector/lease.test.ts: builds connector `shop` on a SQLite file (or, with
 * `files`, on a files directory) and syncs.
 *
 *   node --import tsx test/connector/lease-child.ts <db path or dir> hold|once [sqlite|files]
 *
 * `hold`: once the sync runs (lease held, no write begun), prints `holding` and waits for a line
 * on stdin before yielding its rows. `once`: yields at once. Both end with `result <status> <reason>`.
 */
import { createInterface } from 'node:readline'
import { createConnector } from '../../src/connector/create-connector.js'
import { silentLogger } from '../../src/log/logger.js'
import { files } from '../../src/sink/files/files-sink.js'
import { sqlite } from '../../src/sink/sqlite/sqlite-sink.js'
import { op } from '../../src/source/op.js'

const [path, mode, kind = 'sqlite'] = process.argv.slice(2)
const say = (line: string) => process.stdout.write(`${line}\n`)
const stdin = createInterface({ input: process.stdin })
const go = new Promise<void>((resolve) => stdin.once('line', () => resolve()))

const connector = createConnector({
  id: 'shop',
  destination: kind === 'files' ? files({ dir: path!, format: 'ndjson' }) : sqlite({ path: path! }),
  logger: silentLogger,
  lease: { ttl: '60s' },
  source: {
    tables: () => [{ table: 't', primaryKey: ['id'] }],
    async *read() {
      if (mode === 'hold') {
        say('holding')
        await go
      }
      yield op.upsert('t', [{ id: process.pid }])
      yield op.checkpoint({ by: process.pid })
    },
  },
})
const result = await connector.sync()
say(`result ${result.status} ${'reason' in result ? result.reason : ''}`.trim())
stdin.close()
process.exit(0)

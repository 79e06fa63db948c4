/**
 * Run by test/sink/sqlite-thread.test.ts: syncs through `sqlite({ thread: true })`, reads back
 * (a worker started outside a sync), then opens a second sync and leaves it open. The process
 * must still end on its own: an idle worker is never referenced.
 *
 *   node --import tsx test/support/thread-exit-child.ts <db path>
 */
import { op } from '../../src/source/op.js'
import { sqlite } from '../../src/sink/sqlite/sqlite-sink.js'
import { sync } from '../../src/sync/sync.js'

const path = process.argv[2]!
const sink = sqlite({ path, thread: true })
await sync({ destination: sink, source: { async *read() { yield op.upsert('t', [{ id: 1 }, { id: 2 }]); yield op.checkpoint({}) } } })
const rows = await sink.read!({ table: 't' })
await sink.open({ connectorId: 'open', syncId: 'left-open', tables: [] })
await sink.write({ message: op.upsert('t', [{ id: 3 }]) })
process.stdout.write(`left open: ${rows.length} rows read\n`)

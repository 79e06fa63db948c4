/**
 * Child of large-ndjson.test.ts: syncs one NDJSON file into SQLite and prints its peak RSS, so
 * the parent measures the sync alone (not vitest, not the file generation).
 *
 *   node --import tsx test/source/files/ndjson-memory-child.ts <file.ndjson> <warehouse.db>
 */
import { sqlite } from '../../../src/sink/sqlite/sqlite-sink.js'
import { fileSource } from '../../../src/source/files/file-source.js'
import { sync } from '../../../src/sync/sync.js'

const [file, db] = process.argv.slice(2)
const report = await sync({ source: fileSource({ path: file!, table: 'events', primaryKey: ['id'] }), destination: sqlite({ path: db! }) })
process.stdout.write(`${JSON.stringify({ status: report.status, rows: report.rows, error: report.error, maxRssMb: process.resourceUsage().maxRSS / 1024 })}\n`)

import pg from 'pg'
import { startPrivatePostgres } from '/work/wt/pg/test/support/private-postgres.ts'
import { ReplicationConnection } from '/work/wt/pg/src/source/postgres/cdc/replication-connection.ts'
import { decodePgOutput } from '/work/wt/pg/src/source/postgres/cdc/pgoutput-decoder.ts'
import { formatLsn } from '/work/wt/pg/src/source/postgres/cdc/lsn.ts'
const s = await startPrivatePostgres()
try {
  const c = new pg.Client(s.url); await c.connect()
  await c.query(`CREATE TABLE t (id int PRIMARY KEY, v text, tz timestamptz, big text); ALTER TABLE t ALTER big SET STORAGE EXTERNAL; CREATE PUBLICATION p FOR TABLE t`)
  const r = await ReplicationConnection.open(s.url, 'x')
  const slot = await r.createSlot('s1')
  console.log(formatLsn(slot.consistentPoint), slot.snapshot)
  const c2 = new pg.Client(s.url); await c2.connect()
  await c2.query(`BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET TRANSACTION SNAPSHOT '${slot.snapshot}'`)
  console.log((await c2.query('select count(*) from t')).rows); await c2.query('COMMIT')
  await c.query(`INSERT INTO t VALUES (1, 'a', '2026-01-01 01:02:03.123456+05', repeat('x', 100000)), (2, 'b', null, null)`)
  await c.query(`UPDATE t SET v = 'c' WHERE id = 1`)
  await c.query(`DELETE FROM t WHERE id = 2`)
  await c.query(`TRUNCATE t`)
  const st = r.start('s1', 'p', slot.consistentPoint)
  st.ack(slot.consistentPoint, true)
  for (let i = 0; i < 14; i++) {
    const f = await st.next()
    if (!f) break
    if (f.kind === 'data') { const m = decodePgOutput(f.payload); console.log(JSON.stringify(m, (k, v) => typeof v === 'bigint' ? formatLsn(v) : typeof v === 'string' && v.length > 50 ? v.length : v)) }
    else console.log('keepalive', formatLsn(f.walEnd), f.replyRequested)
  }
  await r.close()
  console.log((await c.query('select * from pg_replication_slots')).rows)
  await c.end(); await c2.end()
} finally { await s.stop() }

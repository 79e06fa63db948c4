import { describe, expect, it } from 'vitest'
import { comparePositions, readerServerId, replicationGrant } from '../../../../src/source/mysql/cdc/binlog-server.js'

describe('binlog server helpers', () => {
  const server = { mariadb: true, serverId: 1, user: 'cdc@%' }
  it('derives a stable replica id from the connector id, never the server’s own', () => {
    const a = readerServerId(undefined, 'mysql:shop', server)
    expect(readerServerId(undefined, 'mysql:shop', server)).toBe(a)
    expect(readerServerId(undefined, 'mysql:other', server)).not.toBe(a)
    expect(a).toBeGreaterThanOrEqual(1_000_000)
    expect(a).toBeLessThan(2 ** 32)
    expect(readerServerId(undefined, 'mysql:shop', { ...server, serverId: a })).toBe(a + 1)
    expect(readerServerId(77, 'mysql:shop', server)).toBe(77)
    expect(() => readerServerId(1, 'mysql:shop', server)).toThrow(/server's own server_id/)
  })

  it('orders positions by file, then offset', () => {
    expect(comparePositions({ file: 'binlog.000002', pos: 4 }, { file: 'binlog.000001', pos: 9999 })).toBeGreaterThan(0)
    expect(comparePositions({ file: 'binlog.000001', pos: 10 }, { file: 'binlog.000001', pos: 20 })).toBeLessThan(0)
    expect(comparePositions({ file: 'binlog.000001', pos: 20 }, { file: 'binlog.000001', pos: 20 })).toBe(0)
  })

  it('words the GRANT for the flavour', () => {
    expect(replicationGrant(server)).toBe("GRANT BINLOG MONITOR, REPLICATION SLAVE ON *.* TO 'cdc'@'%';")
    expect(replicationGrant({ mariadb: false, user: 'app@10.0.0.%' })).toBe("GRANT REPLICATION CLIENT, REPLICATION SLAVE ON *.* TO 'app'@'10.0.0.%';")
  })
})

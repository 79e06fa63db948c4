import mysql from 'mysql2/promise'
import { afterAll } from 'vitest'

/** The local test server (root, no password); override with SLUICE_MYSQL_URL. */
export const MYSQL_URL = process.env.SLUICE_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test'

/** `undefined` when MySQL/MariaDB answers, else why not. */
export async function mysqlUnavailable(url = MYSQL_URL): Promise<string | undefined> {
  try {
    const conn = await mysql.createConnection({ uri: url, connectTimeout: 3_000 })
    await conn.query('SELECT 1')
    await conn.end()
    return undefined
  } catch (e) {
    return (e as Error).message
  }
}

let counter = 0

/** Fresh databases for one test file (`prefix_<pid>_<n>`), dropped after the file; `admin` runs setup SQL (multi-statement). */
export function databases(prefix: string): { next(): Promise<string>; admin: mysql.Pool; url(database: string): string } {
  const made: string[] = []
  const admin = mysql.createPool({ uri: MYSQL_URL, multipleStatements: true, connectionLimit: 2 })
  afterAll(async () => {
    try {
      for (const d of made) await admin.query(`DROP DATABASE IF EXISTS \`${d}\``)
    } finally {
      await admin.end()
    }
  })
  return {
    admin,
    async next() {
      const name = `${prefix}_${process.pid}_${++counter}`
      made.push(name)
      await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`)
      return name
    },
    url: (database) => MYSQL_URL.replace(/\/[^/]*$/, `/${database}`),
  }
}

/**
 * `sluice/mysql`: the MySQL/MariaDB source. A subpath entry so that only users who import it
 * load `mysql2`.
 *
 * @module sluice/mysql
 */
export { mysqlSource, type MysqlSourceOptions } from './source/mysql/mysql-source.js'
export type { MysqlConnection } from './source/mysql/mysql-connection.js'
export type { DatabaseTable } from './source/sql/table-options.js'
export type { BinlogReplication } from './source/mysql/cdc/binlog-options.js'

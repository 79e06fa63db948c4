import { describe, expect, it } from 'vitest'
import { isRetryablePgError } from '../../src/db/postgres-connection.js'

describe('isRetryablePgError', () => {
  it('a table another writer created at the same moment is worth another attempt; a real key conflict is not', () => {
    // Fleet partitions of one backfill start together on a fresh schema and race to CREATE TABLE.
    expect(isRetryablePgError(Object.assign(new Error('relation "items" already exists'), { code: '42P07' }))).toBe(true)
    expect(isRetryablePgError(Object.assign(new Error('duplicate key value violates unique constraint "pg_type_typname_nsp_index"'), { code: '23505', constraint: 'pg_type_typname_nsp_index' }))).toBe(true)
    expect(isRetryablePgError(Object.assign(new Error('duplicate key value violates unique constraint "orders_pkey"'), { code: '23505', constraint: 'orders_pkey' }))).toBe(false)
    expect(isRetryablePgError(Object.assign(new Error('syntax error'), { code: '42601' }))).toBe(false)
    expect(isRetryablePgError(Object.assign(new Error('deadlock detected'), { code: '40P01' }))).toBe(true)
  })
})

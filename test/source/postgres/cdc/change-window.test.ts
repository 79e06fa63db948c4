import { describe, expect, it } from 'vitest'
import type { Message, RecordsMessage } from '../../../../src/index.js'
import { ChangeWindow } from '../../../../src/source/postgres/cdc/change-window.js'
import type { RelationTypes } from '../../../../src/source/postgres/cdc/relation-types.js'
import { mapPgColumn } from '../../../../src/source/postgres/postgres-type-map.js'

const column = (name: string, typname: string) => mapPgColumn({ name, sqlType: typname, typname, category: 'N', typtype: 'b', typmod: -1, notNull: false })
const shape = { table: 't', columns: [column('id', 'int4'), column('title', 'text'), column('body', 'text')], output: [0, 1, 2], key: [0] }
const noJson = { toJson: async () => [] } as unknown as RelationTypes
const U = undefined // an unchanged TOASTed value: not sent

const view = (messages: Message[]) =>
  messages.map((m) => {
    const r = m as RecordsMessage
    return [r.op, r.batch.toRows()]
  })

describe('ChangeWindow: changes coalesced by key within a checkpoint window', () => {
  it('the last change of a key wins; deletes carry the key only', async () => {
    const w = new ChangeWindow(shape)
    w.insert(['1', 'a', 'x'])
    w.update(undefined, ['1', 'b', 'y'])
    w.insert(['2', 'c', 'z'])
    w.delete(['2', null, null])
    w.delete(['3', null, null])
    w.insert(['3', 'again', 'q'])
    expect(view(await w.flush(noJson))).toEqual([
      ['delete', [{ id: 2 }]],
      ['upsert', [{ id: 1, title: 'b', body: 'y' }, { id: 3, title: 'again', body: 'q' }]],
    ])
    expect(w.size).toBe(0)
  })

  it('an update without a TOASTed value merges onto a pending whole row, else stays an update of the columns sent', async () => {
    const w = new ChangeWindow(shape)
    w.insert(['1', 'a', 'big'])
    w.update(undefined, ['1', 'b', U])
    w.update(undefined, ['2', 'only title', U])
    w.update(undefined, ['2', 'twice', U])
    w.update(undefined, ['3', U, 'only body'])
    w.delete(['4', null, null])
    w.update(undefined, ['4', 'after delete', U])
    expect(view(await w.flush(noJson))).toEqual([
      ['upsert', [{ id: 1, title: 'b', body: 'big' }]],
      ['update', [{ title: 'twice', id: 2 }, { title: 'after delete', id: 4 }]],
      ['update', [{ body: 'only body', id: 3 }]],
    ])
  })

  it('a key change deletes the old key and writes the new one', async () => {
    const w = new ChangeWindow(shape)
    w.update(['1', 'a', 'x'], ['9', 'a', U])
    expect(view(await w.flush(noJson))).toEqual([
      ['delete', [{ id: 1 }]],
      ['upsert', [{ id: 9, title: 'a', body: 'x' }]],
    ])
  })
})

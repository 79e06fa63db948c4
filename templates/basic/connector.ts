// A sluice connector: `schema` declares the tables, `update` yields operations from the saved
// state. Run it with `npx sluice debug` (see README.md).
//
// It generates a deterministic "orders" data set, so it runs anywhere without a network or an
// account. Replace `fetchOrders` with calls to your API or database: the shape stays the same.
import { configurationInteger, connector, op } from 'sluice'

type Order = {
  id: number
  customer: string
  status: string
  amount: string
  created_at: string
}

const STATUSES = ['new', 'paid', 'shipped', 'delivered'] as const

/** Orders with ids after `afterId`, at most `limit`, out of `total`: the same id always gives the same row. */
function fetchOrders(afterId: number, limit: number, total: number): Order[] {
  const orders: Order[] = []
  for (let id = afterId + 1; id <= Math.min(total, afterId + limit); id++) {
    orders.push({
      id,
      customer: `customer_${(id * 7919) % 97}`,
      status: STATUSES[id % STATUSES.length]!,
      amount: (((id * 37) % 100_000) / 100).toFixed(2),
      created_at: new Date(Date.UTC(2024, 0, 1) + id * 3_600_000).toISOString(),
    })
  }
  return orders
}

export default connector({
  id: '__CONNECTOR_ID__',
  // Checked before update() runs: a missing key stops the sync with a message naming it.
  required: ['rows'],
  schema: () => [
    {
      table: 'orders',
      primaryKey: ['id'],
      columns: { id: 'LONG', amount: 'DECIMAL(12,2)', created_at: 'UTC_DATETIME' },
    },
  ],
  async *update(configuration, state) {
    const total = configurationInteger(configuration, 'rows', 1000)
    const pageSize = configurationInteger(configuration, 'page_size', 100)
    // The state is what the last checkpoint saved: {} on the first sync.
    let lastId = typeof state.last_id === 'number' ? state.last_id : 0
    for (;;) {
      const page = fetchOrders(lastId, pageSize, total)
      if (page.length === 0) break
      yield op.upsert('orders', page)
      lastId = page[page.length - 1]!.id
      // Everything before this checkpoint is committed together with the state: a rerun resumes here.
      yield op.checkpoint({ last_id: lastId })
    }
  },
})

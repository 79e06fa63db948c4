import type { AlertEvent } from '../alert/alert.js'
import type { SyncReport } from '../contracts/sync-report.js'
import { redactFields } from '../log/redact-fields.js'
import type { FleetConnectorResolved } from './fleet-connector.js'

/**
 * Alerts of a fleet connector: once when a failure streak begins and once when it ends, read
 * from the sync history every worker shares in the destination (the run just recorded is the
 * newest entry), so the streak is the fleet's, not one worker's, and a retry on another worker
 * does not alert again. Only the worker that finished a run decides for that run.
 */
export async function alertOnOutcome(c: FleetConnectorResolved, report: SyncReport): Promise<void> {
  if (c.alerts.length === 0 || !c.sink.history) return
  let history: SyncReport[]
  try {
    history = await c.sink.history({ connectorId: c.id, limit: 50 })
  } catch (error) {
    c.logger.warn({ connector: c.id, error }, 'could not read the sync history to decide on alerts')
    return
  }
  const at = history.findIndex((r) => r.syncId === report.syncId)
  const before = at < 0 ? history : history.slice(at + 1)
  let failures = 0
  while (failures < before.length && before[failures]!.status === 'failed') failures++
  const type = report.status === 'failed' ? (failures === 0 ? 'syncError' : undefined) : failures > 0 ? 'syncRecovered' : undefined
  if (!type) return
  const event: AlertEvent = {
    type, connector: c.id, at: report.endedAt, status: report.status, syncId: report.syncId, rows: report.rows,
    failures: type === 'syncError' ? 1 : failures,
    ...(report.error ? { error: { code: report.error.code, message: report.error.message } } : {}),
    ...(report.mar ? { mar: report.mar } : {}),
  }
  const safe = redactFields(event, c.options.redact)
  for (const alert of c.alerts) {
    try {
      alert.notify(safe)
    } catch (error) {
      c.logger.warn({ alert: alert.name, error }, 'alert threw; ignored')
    }
  }
}

/**
 * `sluice/bullmq`: run sluice connectors as a fleet on BullMQ (Redis) — `fleet()` schedules and
 * enqueues, `runWorker()` (or `sluice worker`) runs the jobs on any number of processes; backfills
 * split into partition jobs; every commit fenced. A subpath entry so that only users who import it
 * load `bullmq` and `ioredis` (optional peer dependencies).
 *
 * @module sluice/bullmq
 */
export { fleet, type Fleet, type FleetOptions, type FleetRunHandle, type FleetStatus } from './fleet/fleet.js'
export type { FleetBaseOptions } from './fleet/fleet-base.js'
export { runWorker, type FleetWorker, type WorkerOptions } from './fleet/worker.js'
export type { FleetConnector } from './fleet/fleet-connector.js'
export type { FleetOutcome } from './fleet/run-job.js'
export type { RedisConnection } from './fleet/redis-connection.js'
export type { ApiLimits } from './fleet/api-limits.js'
export { apiRateLimit } from './fleet/api-rate-limit.js'

import { SluiceError } from '../core/sluice-error.js'
import type { Configuration, Source } from '../contracts/source.js'

/**
 * A source built from the connector's configuration when a sync starts: `sluice debug` and
 * `sync({ configuration })` hand the configuration to `tables()` and `read()`, and this builds the
 * real source once per configuration object, so discovery and reading share one instance. The
 * built source's `readAhead` is kept (read per sync, since it is known only once built), and so are its
 * `partitions` and `partition` (a partition's source is made from the configuration its sync reads with).
 *
 * @example
 * ```ts
 * import { configuredSource, offset, rest } from 'sluice'
 * export default configuredSource('shop_api', (configuration) =>
 *   rest({ baseUrl: configuration.base_url!, streams: [{ table: 'orders', path: '/orders', paginate: offset({ limit: 100 }) }] }))
 * ```
 */
export function configuredSource(id: string, build: (configuration: Configuration) => Source): Source {
  let built: { configuration: Configuration; source: Source } | undefined
  const sourceFor = (configuration: Configuration): Source => {
    if (built?.configuration !== configuration) built = { configuration, source: build(configuration) }
    return built.source
  }
  return {
    id,
    tables: ({ configuration }) => sourceFor(configuration).tables?.({ configuration }) ?? [],
    read: (args) => sourceFor(args.configuration).read(args),
    // sync() asks before it reads; the built source (not this wrapper) knows whether it only reads.
    get readAhead() {
      return built?.source.readAhead === true
    },
    // sluice check: the checks of the source built from the configuration; one without says so.
    check: async (args) => {
      const source = sourceFor(args.configuration)
      if (source.check) return source.check(args)
      return [{ name: `source ${id}`, ok: true, skipped: true, message: 'not checked: the source has no check()' }]
    },
    // A change-data-capture source's slot lag, asked by sync() after read(): the built source's.
    replication: () => built?.source.replication?.(),
    // `sluice reset --drop-slot`: the source built from the connector's configuration drops its slot.
    dropReplication: async (args) => {
      const source = sourceFor(args?.configuration ?? built?.configuration ?? {})
      if (!source.dropReplication) {
        throw new SluiceError({ code: 'CONFIG_INVALID', message: `connector ${id} keeps nothing on the server to drop: its source is not a change-data-capture source (no replication)`, context: { connectorId: id } })
      }
      return source.dropReplication(args)
    },
    // A backfill split by the built source; `undefined` (one ordinary sync) when it can't split.
    partitions: async (args) => sourceFor(args.configuration).partitions?.(args),
    partition: (partition) => {
      // The configuration comes with tables() and read(): the built source's partition is made there.
      const partOf = (configuration: Configuration): Source => {
        const source = sourceFor(configuration)
        if (!source.partition) {
          throw new SluiceError({ code: 'CONFIG_INVALID', message: `connector ${id}: its source has no partitions, so partition ${JSON.stringify(partition.key)} can't be read`, context: { connectorId: id, partition: partition.key } })
        }
        return source.partition(partition)
      }
      let part: Source | undefined
      return {
        id: `${id}#${partition.key}`,
        tables: ({ configuration }) => (part = partOf(configuration)).tables?.({ configuration }) ?? [],
        read: (args) => (part = partOf(args.configuration)).read(args),
        get readAhead() {
          return part?.readAhead === true
        },
      }
    },
  }
}

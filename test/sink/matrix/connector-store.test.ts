import { describeConnectorStoreAbsent, describeConnectorStoreConformance } from './connector-store.js'
import { forEachDestination } from './each-destination.js'

forEachDestination('connector store', ({ destination, make }) => {
  if (destination.capabilities.connectorStore) describeConnectorStoreConformance(destination.name, make)
  else describeConnectorStoreAbsent(destination.name, make)
})

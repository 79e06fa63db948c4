import { forEachDestination } from './each-destination.js'
import { describeFleetConformance, describeFleetRefused } from './fleet.js'

forEachDestination('fleet', (c) => {
  if (c.destination.capabilities.fleet) describeFleetConformance(c)
  else describeFleetRefused(c)
})

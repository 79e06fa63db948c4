import { forEachDestination } from './each-destination.js'
import { describeMarConformance, describeMarRefused } from './mar.js'

forEachDestination('MAR', ({ destination, make }) => {
  if (destination.capabilities.mar) describeMarConformance(destination.name, make)
  else describeMarRefused(destination.name, make)
})

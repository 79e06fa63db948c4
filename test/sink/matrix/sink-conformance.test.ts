import { forEachDestination } from './each-destination.js'
import { describeExactNumberConformance } from './exact-numbers.js'
import { describeSinkConformance } from './sink-conformance.js'
import { describeState } from './state.js'

forEachDestination('sink conformance', ({ destination, make }) => {
  describeSinkConformance(destination.name, make)
  describeExactNumberConformance(destination.name, make)
  describeState(destination.name, make, destination.capabilities.keepsState)
})

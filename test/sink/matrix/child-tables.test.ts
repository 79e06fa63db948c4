import { describeChildTableConformance } from './child-tables.js'
import { forEachDestination } from './each-destination.js'

// The files lake is a log: a reader (as `read()`) applies flatten's `delete_matching` events in order.
forEachDestination('child tables', ({ destination, make }) => describeChildTableConformance(destination.name, make))

import { describeDriftConformance } from '../../schema-drift/drift-conformance.js'
import { forEachDestination } from './each-destination.js'
import { describeErrorRecords, describeSchemaHistory } from './sink-conformance.js'

forEachDestination('schema and errors', ({ destination, make }) => {
  describeSchemaHistory(destination.name, make)
  describeDriftConformance(destination.name, make)
  describeErrorRecords(destination.name, make)
})

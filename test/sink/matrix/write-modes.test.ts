import { forEachDestination } from './each-destination.js'
import { describeWriteModes } from './write-modes.js'

forEachDestination('write modes', (c) => describeWriteModes(c))

import { MemoryEventBus } from '../../cluster/memory-event-bus.js'
import { eventBusConformance } from './event-bus.conformance.js'

// One process: publisher and subscriber share the bus.
eventBusConformance('memory', async () => {
  const bus = new MemoryEventBus()
  return [bus, bus]
})

import { MemoryTimeSeriesStore } from '../../store/memory-time-series-store.js'
import { timeSeriesStoreConformance } from './time-series-store.conformance.js'

// No `reopen`: the memory store keeps nothing across a restart, so those tests are skipped.
timeSeriesStoreConformance('memory', async () => new MemoryTimeSeriesStore())

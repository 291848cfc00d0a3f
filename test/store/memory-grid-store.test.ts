import { MemoryGridStore } from '../../store/memory-grid-store.js'
import { gridStoreConformance } from './grid-store.conformance.js'

// No `reopen`: the memory store keeps nothing across a restart, so those tests are skipped.
gridStoreConformance('memory', async () => new MemoryGridStore())

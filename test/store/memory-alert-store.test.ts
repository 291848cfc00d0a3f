import { MemoryAlertStore } from '../../store/memory-alert-store.js'
import { alertStoreConformance } from './alert-store.conformance.js'

// No `reopen`: the memory store keeps nothing across a restart, so those tests are skipped.
alertStoreConformance('memory', async () => new MemoryAlertStore())

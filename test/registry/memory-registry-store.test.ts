import { MemoryRegistryStore } from '../../registry/memory-registry-store.js'
import { registryStoreConformance } from './registry-store.conformance.js'

// No `reopen`: the memory store keeps nothing across a restart, so those tests are skipped.
registryStoreConformance('memory', async () => new MemoryRegistryStore())

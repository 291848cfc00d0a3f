import { MemoryJobLock, type MemoryLockTable } from '../../cluster/memory-job-lock.js'
import { jobLockConformance } from './job-lock.conformance.js'

// Locks over one table contend as processes sharing a Redis would.
const table: MemoryLockTable = new Map()
jobLockConformance('memory', async (owner) => new MemoryJobLock(owner, { table }))

import type { JobLock } from '../core/ports/job-lock.js'

/**
 * Claims and leases within one process (`npm start` without REDIS_URL), where the only
 * contender is the process itself. Locks made over the same `table` contend with each other,
 * which is how the conformance suite plays several processes.
 */
export type MemoryLockTable = Map<string, { owner: string, expires: number }>

export class MemoryJobLock implements JobLock {
  readonly owner: string
  readonly #table: MemoryLockTable
  readonly #now: () => number

  constructor (owner: string, options: { table?: MemoryLockTable, now?: () => number } = {}) {
    this.owner = owner
    this.#table = options.table ?? new Map()
    this.#now = options.now ?? Date.now
  }

  async claim (job: string, slot: string, ttlMs: number): Promise<boolean> {
    return this.#take(`job:${job}:${slot}`, ttlMs, false)
  }

  async lease (name: string, ttlMs: number): Promise<boolean> {
    return this.#take(`lease:${name}`, ttlMs, true)
  }

  async release (name: string): Promise<void> {
    if (this.#table.get(`lease:${name}`)?.owner === this.owner) this.#table.delete(`lease:${name}`)
  }

  async close (): Promise<void> {}

  #take (key: string, ttlMs: number, renew: boolean): boolean {
    const now = this.#now()
    for (const [k, entry] of this.#table) if (entry.expires <= now) this.#table.delete(k)
    const held = this.#table.get(key)
    if (held !== undefined && !(renew && held.owner === this.owner)) return false
    this.#table.set(key, { owner: this.owner, expires: now + ttlMs })
    return true
  }
}

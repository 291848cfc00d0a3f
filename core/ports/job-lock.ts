/**
 * Who does what once across the processes of a deployment (issue #9).
 *
 * `claim` is for scheduled jobs: every process schedules them, and each run first claims its
 * job's slot (the time it was scheduled for, the same on every process); the first claim
 * wins, so a job runs once per slot however many processes schedule it. A claim holds for
 * `ttlMs`, which must outlast the clock skew between processes; it is never released, so a
 * slot that ran is not run again by a late process.
 *
 * `lease` is for work that keeps state and must run in one process at a time (the alert
 * engine): the holder renews it well within `ttlMs`; when the holder dies, the lease expires
 * and another process takes it. Holders are told apart by the lock's `owner`.
 *
 * Every implementation passes `test/cluster/job-lock.conformance.ts`.
 */
export interface JobLock {
  /** This process's name as a lease holder (INSTANCE_ID). */
  readonly owner: string
  /** True for the first claim of `job` at `slot` within `ttlMs`, false for every later one. */
  claim (job: string, slot: string, ttlMs: number): Promise<boolean>
  /** Takes the lease if free, or renews it if this owner holds it, for `ttlMs`; true while held. */
  lease (name: string, ttlMs: number): Promise<boolean>
  /** Gives the lease up if this owner holds it, so another process need not wait for it to expire. */
  release (name: string): Promise<void>
  close (): Promise<void>
}

import { afterEach, describe, expect, it } from 'vitest'
import { Leadership } from '../../cluster/leadership.js'
import { MemoryJobLock, type MemoryLockTable } from '../../cluster/memory-job-lock.js'
import type { JobLock } from '../../core/ports/job-lock.js'

/**
 * One leader at a time among processes contending for a lease (the in-process lock plays the
 * processes, as in the JobLock conformance suite): a standby takes over when the leader stops
 * renewing, and a leader that cannot renew steps down before its lease could have expired.
 */
const TTL = 300

let running: Leadership[] = []
afterEach(async () => {
  for (const l of running) await l.stop()
  running = []
})

function candidate (lock: JobLock, log: string[], name = lock.owner): Leadership {
  const leadership = new Leadership({
    lock,
    name: 'jobs',
    ttlMs: TTL,
    onElected: () => { log.push(`${name} elected`) },
    onDeposed: () => { log.push(`${name} deposed`) },
    onError: () => {}
  })
  running.push(leadership)
  return leadership
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

describe('Leadership', () => {
  it('lets one of several candidates lead, and keeps it leading while it renews', async () => {
    const table: MemoryLockTable = new Map()
    const log: string[] = []
    const all = ['a', 'b', 'c'].map((owner) => candidate(new MemoryJobLock(owner, { table }), log))
    for (const l of all) await l.start()
    await sleep(TTL * 3)
    expect(all.filter((l) => l.leading)).toHaveLength(1)
    expect(log).toEqual(['a elected'])
  })

  it('hands over when the leader stops: at once when it resigns', async () => {
    const table: MemoryLockTable = new Map()
    const log: string[] = []
    const [a, b] = ['a', 'b'].map((owner) => candidate(new MemoryJobLock(owner, { table }), log)) as [Leadership, Leadership]
    await a.start()
    await b.start()
    await a.stop()
    const stoppedAt = Date.now()
    while (!b.leading && Date.now() - stoppedAt < TTL * 2) await sleep(10)
    expect(b.leading).toBe(true)
    // Released, not expired: the standby's next attempt (a third of the ttl) takes it.
    expect(Date.now() - stoppedAt).toBeLessThan(TTL / 3 + 100)
    expect(log).toEqual(['a elected', 'a deposed', 'b elected'])
  })

  it('hands over within the ttl and a third when the leader freezes', async () => {
    const table: MemoryLockTable = new Map()
    const log: string[] = []
    // A frozen process: its renewals never come back, its lease is left to expire.
    let frozen = false
    const lockA = new MemoryJobLock('a', { table })
    const a = candidate(Object.assign(Object.create(lockA) as JobLock, {
      owner: 'a',
      lease: (name: string, ttl: number) => frozen ? new Promise<boolean>(() => {}) : lockA.lease(name, ttl)
    }), log, 'a')
    await a.start()
    const b = candidate(new MemoryJobLock('b', { table }), log)
    await b.start()
    frozen = true
    const frozenAt = Date.now()
    while (!b.leading && Date.now() - frozenAt < TTL * 3) await sleep(10)
    expect(b.leading).toBe(true)
    expect(Date.now() - frozenAt).toBeLessThan(TTL + TTL / 3 + 100)
    // The frozen one gave up on its own before the other took over: never two leaders.
    expect(log).toEqual(['a elected', 'a deposed', 'b elected'])
  })

  it('steps down when it cannot renew, and leads again once it can', async () => {
    const log: string[] = []
    const lock = new MemoryJobLock('a')
    let failing = false
    const flaky: JobLock = Object.assign(Object.create(lock) as JobLock, {
      owner: 'a',
      lease: (name: string, ttl: number) => failing ? Promise.reject(new Error('Redis away')) : lock.lease(name, ttl)
    })
    const a = candidate(flaky, log, 'a')
    await a.start()
    expect(a.leading).toBe(true)
    failing = true
    await sleep(TTL / 3 + 50)
    expect(a.leading).toBe(false)
    failing = false
    await sleep(TTL / 3 + 50)
    expect(a.leading).toBe(true)
    expect(log).toEqual(['a elected', 'a deposed', 'a elected'])
  })
})

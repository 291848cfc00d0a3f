import { randomUUID } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import type { JobLock } from '../../core/ports/job-lock.js'

/**
 * The behaviour every `JobLock` must show (core/ports/job-lock.ts). `open(owner)` gives the
 * lock of one process; locks opened by one factory contend, as processes sharing a Redis do.
 * Job and lease names are unique per test, so nothing needs cleaning between tests.
 */
export function jobLockConformance (name: string, open: (owner: string) => Promise<JobLock>): void {
  describe(`JobLock conformance: ${name}`, () => {
    let locks: JobLock[] = []
    const lock = async (owner: string): Promise<JobLock> => {
      const opened = await open(owner)
      locks.push(opened)
      return opened
    }
    const unique = (what: string): string => `${what}-${randomUUID()}`

    afterEach(async () => {
      for (const l of locks) await l.close()
      locks = []
    })

    it('gives a job\'s slot to the first claim only, whoever asks again', async () => {
      const [a, b] = [await lock('a'), await lock('b')]
      const job = unique('rollup')
      expect(await a.claim(job, '2026-01-01T00:00:05.000Z', 60_000)).toBe(true)
      expect(await b.claim(job, '2026-01-01T00:00:05.000Z', 60_000)).toBe(false)
      expect(await a.claim(job, '2026-01-01T00:00:05.000Z', 60_000)).toBe(false)
      // Another slot of the same job, and the same slot of another job, are free.
      expect(await b.claim(job, '2026-01-01T00:01:05.000Z', 60_000)).toBe(true)
      expect(await b.claim(unique('export'), '2026-01-01T00:00:05.000Z', 60_000)).toBe(true)
    })

    it('lets exactly one of many simultaneous claims win', async () => {
      const all = await Promise.all(Array.from({ length: 8 }, (_, i) => lock(`p${i}`)))
      const job = unique('retention')
      const results = await Promise.all(all.map((l) => l.claim(job, 'slot-1', 60_000)))
      expect(results.filter(Boolean)).toHaveLength(1)
    })

    it('frees a claim after its ttl', async () => {
      const [a, b] = [await lock('a'), await lock('b')]
      const job = unique('short')
      expect(await a.claim(job, 's', 100)).toBe(true)
      expect(await b.claim(job, 's', 100)).toBe(false)
      await sleep(250)
      expect(await b.claim(job, 's', 100)).toBe(true)
    })

    it('holds a lease for one owner, renewed by it, refused to others', async () => {
      const [a, b] = [await lock('a'), await lock('b')]
      const lease = unique('alerts')
      expect(await a.lease(lease, 10_000)).toBe(true)
      expect(await b.lease(lease, 10_000)).toBe(false)
      expect(await a.lease(lease, 10_000)).toBe(true)
      expect(await b.lease(lease, 10_000)).toBe(false)
    })

    it('hands a released lease on at once; a release by another owner does nothing', async () => {
      const [a, b] = [await lock('a'), await lock('b')]
      const lease = unique('alerts')
      expect(await a.lease(lease, 10_000)).toBe(true)
      await b.release(lease)
      expect(await b.lease(lease, 10_000)).toBe(false)
      await a.release(lease)
      expect(await b.lease(lease, 10_000)).toBe(true)
      expect(await a.lease(lease, 10_000)).toBe(false)
    })

    it('lets a lease that is not renewed expire, and be taken by another', async () => {
      const [a, b] = [await lock('a'), await lock('b')]
      const lease = unique('alerts')
      expect(await a.lease(lease, 150)).toBe(true)
      await sleep(80)
      // Renewed: counts again from now.
      expect(await a.lease(lease, 150)).toBe(true)
      await sleep(100)
      expect(await b.lease(lease, 150)).toBe(false)
      await sleep(150)
      expect(await b.lease(lease, 150)).toBe(true)
      expect(await a.lease(lease, 150)).toBe(false)
    })

    it('gives one of many simultaneous lease takers the lease', async () => {
      const all = await Promise.all(Array.from({ length: 8 }, (_, i) => lock(`p${i}`)))
      const lease = unique('alerts')
      const results = await Promise.all(all.map((l) => l.lease(lease, 10_000)))
      expect(results.filter(Boolean)).toHaveLength(1)
    })
  })
}

function sleep (ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

import { setTimeout as sleep } from 'node:timers/promises'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { Reading } from '../../core/reading.js'
import { GroupCommit, type GroupCommitOptions } from '../../ingest/group-commit.js'

const T0 = Date.UTC(2024, 5, 1, 12, 0, 0)

interface Deferred {
  promise: Promise<void>
  resolve: () => void
  reject: (err: Error) => void
}

function deferred (): Deferred {
  const d: Partial<Deferred> = {}
  d.promise = new Promise<void>((resolve, reject) => { d.resolve = resolve; d.reject = reject })
  return d as Deferred
}

/** A message of `n` readings from `sensorId`, at distinct times. */
function message (sensorId: string, n: number): Reading[] {
  return Array.from({ length: n }, (_, i) => ({ sensorId, kind: 'air', field: 'pm25', time: T0 + i, value: i }))
}

/** Tracks whether a promise has settled, without awaiting it. */
function track (promise: Promise<void>): { settled: () => boolean, promise: Promise<void> } {
  let settled = false
  const tracked = promise.finally(() => { settled = true })
  return { settled: () => settled, promise: tracked }
}

describe('GroupCommit', () => {
  const opened: GroupCommit[] = []
  const open = (options: Partial<GroupCommitOptions> & Pick<GroupCommitOptions, 'write'>): GroupCommit => {
    const gc = new GroupCommit({ batchMax: 1000, flushMs: 10, maxPending: 10_000, backoffMs: () => 1, ...options })
    opened.push(gc)
    return gc
  }

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((gc) => gc.close()))
  })

  it('writes messages added within flushMs in one call, and resolves each only after that write', async () => {
    const calls: Reading[][] = []
    const write = deferred()
    const gc = open({ flushMs: 20, write: async (readings) => { calls.push(readings); await write.promise } })
    const messages = Array.from({ length: 10 }, (_, i) => message(`s${i}`, 2))
    const events: string[] = []
    const adds = messages.map((m, i) => track(gc.add(m).then(() => { events.push(`add ${i}`) })))
    expect(calls).toHaveLength(0)
    await vi.waitFor(() => expect(calls).toHaveLength(1))
    expect(calls[0]).toEqual(messages.flat())
    await sleep(40)
    expect(calls).toHaveLength(1)
    expect(adds.some((a) => a.settled())).toBe(false)
    events.push('write resolved')
    write.resolve()
    await Promise.all(adds.map((a) => a.promise))
    expect(events[0]).toBe('write resolved')
    expect(events).toHaveLength(11)
    expect(calls).toHaveLength(1)
  })

  it('cuts a batch at batchMax readings, whole messages only; a larger message goes alone', async () => {
    const calls: Reading[][] = []
    const gc = open({ batchMax: 5, write: async (readings) => { calls.push(readings) } })
    const messages = [message('a', 2), message('b', 2), message('c', 2), message('d', 7), message('e', 1)]
    await Promise.all(messages.map((m) => gc.add(m)))
    expect(calls.flat()).toEqual(messages.flat())
    // Each batch is a run of whole messages, and holds more than batchMax only as one message.
    const ends = messages.map((_, i) => messages.slice(0, i + 1).flat().length)
    let start = 0
    for (const batch of calls) {
      const end = start + batch.length
      expect([0, ...ends]).toContain(start)
      expect(ends).toContain(end)
      const messagesInBatch = ends.filter((e) => e > start && e <= end).length
      expect(batch.length <= 5 || messagesInBatch === 1).toBe(true)
      start = end
    }
    // The first batch was cut when it reached 5: a and b, not c too.
    expect(calls[0]).toEqual([...messages[0]!, ...messages[1]!])
    expect(calls).toContainEqual(messages[3])
  })

  it('retries a failed write with backoff, keeping the add pending until it succeeds', async () => {
    const attempts: Reading[][] = []
    const errors: number[] = []
    const second = deferred()
    const gc = open({
      onWriteError: (_err, attempt) => { errors.push(attempt) },
      write: async (readings) => {
        attempts.push(readings)
        if (attempts.length === 1) throw new Error('store down')
        if (attempts.length === 2) {
          await second.promise
          throw new Error('still down')
        }
      }
    })
    expect(gc.failing).toBe(false)
    const m = message('s1', 3)
    const add = track(gc.add(m))
    await vi.waitFor(() => expect(attempts).toHaveLength(2))
    expect(gc.failing).toBe(true)
    expect(add.settled()).toBe(false)
    expect(gc.pending).toBe(3)
    second.resolve()
    await add.promise
    expect(attempts).toEqual([m, m, m])
    expect(errors).toEqual([1, 2])
    expect(gc.failing).toBe(false)
    expect(gc.pending).toBe(0)
  })

  it('counts readings queued and being written in pending, back to 0 once written', async () => {
    const write = deferred()
    let calls = 0
    const gc = open({ write: async () => { calls++; await write.promise } })
    expect(gc.pending).toBe(0)
    const adds = [gc.add(message('s1', 3)), gc.add(message('s2', 2))]
    expect(gc.pending).toBe(5)
    await vi.waitFor(() => expect(calls).toBe(1))
    expect(gc.pending).toBe(5)
    write.resolve()
    await Promise.all(adds)
    expect(gc.pending).toBe(0)
  })

  it('holds an add back, without queueing it, while maxPending readings wait', async () => {
    const calls: Reading[][] = []
    const writes = [deferred(), deferred()]
    const gc = open({ maxPending: 4, flushMs: 1, write: async (readings) => { calls.push(readings); await writes[calls.length - 1]?.promise } })
    const a = message('a', 3)
    const b = message('b', 2)
    const addA = track(gc.add(a))
    await vi.waitFor(() => expect(calls).toHaveLength(1))
    const addB = track(gc.add(b))
    await sleep(30)
    expect(gc.pending).toBe(3)
    expect(calls).toEqual([a])
    expect(addA.settled() || addB.settled()).toBe(false)
    writes[0]?.resolve()
    await addA.promise
    await vi.waitFor(() => expect(calls).toHaveLength(2))
    expect(calls[1]).toEqual(b)
    expect(gc.pending).toBe(2)
    expect(addB.settled()).toBe(false)
    writes[1]?.resolve()
    await addB.promise
    expect(gc.pending).toBe(0)
  })

  it('lets held-back adds in first come, first served: a small one does not overtake a large one', async () => {
    const calls: Reading[][] = []
    const writes = [deferred(), deferred(), deferred()]
    const gc = open({ maxPending: 6, flushMs: 1, batchMax: 100, write: async (readings) => { calls.push(readings); await writes[calls.length - 1]?.promise } })
    const first = track(gc.add(message('first', 5)))
    await vi.waitFor(() => expect(calls).toHaveLength(1))
    const large = track(gc.add(message('large', 4)))
    const small = track(gc.add(message('small', 1)))
    const last = track(gc.add(message('last', 2)))
    await sleep(20)
    // 5 pending of 6: the small one would fit, but the large one came first.
    expect(calls).toHaveLength(1)
    expect(gc.pending).toBe(5)
    writes[0]?.resolve()
    await first.promise
    // Room for 6: large (4) and small (1) go in, last (2) would make 7 and waits for them.
    await vi.waitFor(() => expect(calls).toHaveLength(2))
    expect(calls[1]!.map((r) => r.sensorId)).toEqual([...Array(4).fill('large'), 'small'])
    expect(gc.pending).toBe(5)
    expect(last.settled()).toBe(false)
    writes[1]?.resolve()
    await Promise.all([large.promise, small.promise])
    await vi.waitFor(() => expect(calls).toHaveLength(3))
    expect(calls[2]!.map((r) => r.sensorId)).toEqual(['last', 'last'])
    writes[2]?.resolve()
    await last.promise
    expect(gc.pending).toBe(0)
  })

  it('lets a message larger than maxPending in once nothing else waits', async () => {
    const calls: Reading[][] = []
    const gc = open({ maxPending: 4, write: async (readings) => { calls.push(readings) } })
    const big = message('big', 6)
    await gc.add(big)
    expect(calls).toEqual([big])
  })

  it('counts the linger from the oldest message: what waited through a write goes right after it', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] })
    try {
      const starts: number[] = []
      const gc = open({
        flushMs: 50,
        write: async () => {
          starts.push(performance.now())
          await new Promise((resolve) => setTimeout(resolve, 80))
        }
      })
      const first = gc.add(message('s1', 1))
      await vi.advanceTimersByTimeAsync(60) // the first write starts at 50 and runs to 130
      const second = gc.add(message('s2', 1))
      await vi.advanceTimersByTimeAsync(80)
      await first
      // The second message has waited 70 ms by then: no new 50 ms linger.
      await vi.advanceTimersByTimeAsync(0)
      expect(starts).toEqual([50, 130])
      await vi.advanceTimersByTimeAsync(80)
      await second
      // An idle moment again: the next message lingers its 50 ms.
      const third = gc.add(message('s3', 1))
      await vi.advanceTimersByTimeAsync(49)
      expect(starts).toHaveLength(2)
      await vi.advanceTimersByTimeAsync(1)
      expect(starts).toHaveLength(3)
      await vi.advanceTimersByTimeAsync(80)
      await third
    } finally {
      vi.useRealTimers()
    }
  })

  it('once hurried, writes what waits at once and each later message without the linger', async () => {
    const calls: Reading[][] = []
    const gc = open({ flushMs: 60_000, write: async (readings) => { calls.push(readings) } })
    const waiting = gc.add(message('s1', 1))
    await sleep(20)
    expect(calls).toHaveLength(0)
    gc.hurry()
    await waiting
    expect(calls).toHaveLength(1)
    await gc.add(message('s2', 1))
    expect(calls).toHaveLength(2)
  })

  it('writes what is queued on close, then refuses new readings', async () => {
    const calls: Reading[][] = []
    const write = deferred()
    const gc = open({ flushMs: 60_000, write: async (readings) => { calls.push(readings); await write.promise } })
    const a = message('a', 2)
    const b = message('b', 1)
    const adds = [track(gc.add(a)), track(gc.add(b))]
    const closing = track(gc.close())
    await vi.waitFor(() => expect(calls).toHaveLength(1))
    expect(calls[0]).toEqual([...a, ...b])
    await sleep(10)
    expect(closing.settled()).toBe(false)
    write.resolve()
    await closing.promise
    expect(adds.every((add) => add.settled())).toBe(true)
    await Promise.all(adds.map((add) => add.promise))
    expect(gc.pending).toBe(0)
    await expect(gc.add(message('c', 1))).rejects.toThrow()
    expect(calls).toHaveLength(1)
  })

  it('wakes an add held back by maxPending with a rejection when closed', async () => {
    const write = deferred()
    let calls = 0
    const gc = open({ maxPending: 2, flushMs: 1, write: async () => { calls++; await write.promise } })
    const first = gc.add(message('a', 2))
    await vi.waitFor(() => expect(calls).toBe(1))
    const held = expect(gc.add(message('b', 1))).rejects.toThrow()
    const closing = gc.close()
    write.resolve()
    await first
    await held
    await closing
    expect(calls).toBe(1)
  })
})

describe('GroupCommit with an error the store will always give', () => {
  it('fails the batch at once instead of retrying it', async () => {
    let calls = 0
    const commit = new GroupCommit({
      write: async () => { calls++; throw Object.assign(new Error('400 bad request'), { permanent: true }) },
      batchMax: 10,
      flushMs: 1,
      maxPending: 100,
      backoffMs: () => 1,
      isPermanent: (err) => (err as { permanent?: boolean }).permanent === true
    })
    await expect(commit.add([{ sensorId: 's', kind: 'k', field: 'f', time: 1, value: 1 }])).rejects.toThrow('400 bad request')
    expect(calls).toBe(1)
    expect(commit.pending).toBe(0)
    await commit.close()
  })
})

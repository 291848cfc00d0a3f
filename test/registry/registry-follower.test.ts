import { describe, expect, it } from 'vitest'
import type { RegistryTable } from '../../core/ports/registry-store.js'
import { RegistryFollower, type FollowerTarget } from '../../registry/registry-follower.js'

/** A target that records what it was asked to read, and can be held or made to fail. */
class Recorder implements FollowerTarget {
  readonly calls: string[] = []
  running = 0
  mostAtOnce = 0
  failures = 0
  #held: Array<() => void> = []
  hold = false

  async refresh (table: RegistryTable, id: string): Promise<void> { await this.#call(`${table}/${id}`) }
  async resync (): Promise<void> { await this.#call('reload') }

  release (): void { this.hold = false; for (const go of this.#held.splice(0)) go() }

  async #call (what: string): Promise<void> {
    this.calls.push(what)
    this.mostAtOnce = Math.max(this.mostAtOnce, ++this.running)
    try {
      if (this.hold) await new Promise<void>((resolve) => this.#held.push(resolve))
      await new Promise((resolve) => setImmediate(resolve))
      if (this.failures > 0) {
        this.failures--
        throw new Error(`cannot read ${what}`)
      }
    } finally {
      this.running--
    }
  }
}

const changed = (table: RegistryTable, id: string) => ({ type: 'changed' as const, table, id })

describe('RegistryFollower', () => {
  it('reads one change at a time, in the order heard, and a change heard twice while waiting once', async () => {
    const target = new Recorder()
    const follower = new RegistryFollower(target, () => {})
    target.hold = true
    follower.push(changed('sensors', 'a'))
    follower.push(changed('sensors', 'b'))
    follower.push(changed('credentials', 'a'))
    follower.push(changed('sensors', 'b'))
    follower.push(changed('zones', 'z'))
    target.release()
    await expect.poll(() => target.calls, { timeout: 2_000 }).toHaveLength(4)
    expect(target.calls).toStrictEqual(['sensors/a', 'sensors/b', 'credentials/a', 'zones/z'])
    expect(target.mostAtOnce).toBe(1)
    // The one being read when a change is heard again is read again: it may predate that change.
    target.hold = true
    follower.push(changed('tokens', 't'))
    follower.push(changed('tokens', 't'))
    target.release()
    await expect.poll(() => target.calls.slice(4), { timeout: 2_000 }).toStrictEqual(['tokens/t', 'tokens/t'])
    await follower.close()
  })

  it('lets a reload stand for every re-read waiting, and re-reads what is heard during it', async () => {
    const target = new Recorder()
    const follower = new RegistryFollower(target, () => {})
    target.hold = true
    follower.push(changed('sensors', 'a'))
    follower.push(changed('sensors', 'b'))
    follower.push({ type: 'reload' })
    follower.push(changed('sensors', 'c'))
    target.release()
    await expect.poll(() => target.calls, { timeout: 2_000 }).toStrictEqual(['sensors/a', 'reload'])
    target.hold = true
    follower.push({ type: 'reload' })
    await expect.poll(() => target.running).toBe(1)
    follower.push(changed('sensors', 'd'))
    target.release()
    await expect.poll(() => target.calls, { timeout: 2_000 }).toStrictEqual(['sensors/a', 'reload', 'reload', 'sensors/d'])
    await follower.close()
  })

  it('turns a burst of changes into one reload', async () => {
    const target = new Recorder()
    const follower = new RegistryFollower(target, () => {})
    target.hold = true
    for (let i = 0; i < 1_000; i++) follower.push(changed('zones', `z-${i}`))
    target.release()
    await expect.poll(() => target.calls.at(-1), { timeout: 2_000 }).toBe('reload')
    await follower.close()
    // The first read had started before the burst; everything after it is one reload.
    expect(target.calls).toStrictEqual(['zones/z-0', 'reload'])
  })

  it('after a failed read, reports it and reloads, retrying with backoff until a reload succeeds', async () => {
    const target = new Recorder()
    const errors: unknown[] = []
    const follower = new RegistryFollower(target, (err) => errors.push(err))
    target.failures = 3
    const started = Date.now()
    follower.push(changed('sensors', 'a'))
    follower.push(changed('sensors', 'b'))
    await expect.poll(() => target.calls, { timeout: 5_000 }).toStrictEqual(['sensors/a', 'reload', 'reload', 'reload'])
    // Waits of 100, 200 and 400 ms between the attempts.
    expect(Date.now() - started).toBeGreaterThanOrEqual(650)
    expect(errors.map((err) => (err as Error).message)).toStrictEqual(['cannot read sensors/a', 'cannot read reload', 'cannot read reload'])
    await follower.close()
  })

  it('runs a local write between re-reads, never during one', async () => {
    const target = new Recorder()
    const follower = new RegistryFollower(target, () => {})
    target.hold = true
    follower.push(changed('sensors', 'a'))
    const write = follower.exclusive(async () => {
      target.calls.push(`write (reads running: ${target.running})`)
      await new Promise((resolve) => setTimeout(resolve, 20))
      return 'written'
    })
    follower.push(changed('sensors', 'b'))
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(target.calls).toStrictEqual(['sensors/a'])
    target.release()
    expect(await write).toBe('written')
    await expect.poll(() => target.calls, { timeout: 2_000 }).toStrictEqual(['sensors/a', 'write (reads running: 0)', 'sensors/b'])
    expect(target.mostAtOnce).toBe(1)
    await follower.close()
  })

  it('stops on close: what is waiting is dropped, a retry wait is cut short, later changes are ignored', async () => {
    const target = new Recorder()
    const errors: unknown[] = []
    const follower = new RegistryFollower(target, (err) => errors.push(err))
    target.failures = 1
    follower.push(changed('sensors', 'a'))
    // Failed, so now waiting 100 ms before the reload.
    await expect.poll(() => errors).toHaveLength(1)
    const closing = Date.now()
    await follower.close()
    expect(Date.now() - closing).toBeLessThan(50)
    follower.push(changed('sensors', 'b'))
    await new Promise((resolve) => setTimeout(resolve, 150))
    expect(target.calls).toStrictEqual(['sensors/a'])
  })
})

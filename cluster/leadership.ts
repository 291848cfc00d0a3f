import type { JobLock } from '../core/ports/job-lock.js'

/**
 * Runs stateful work (the alert engine, the live feed's crowd and grid windows) in one process
 * of a deployment at a time, under a lease of the job lock. Every candidate tries to take or
 * renew the lease every third of its ttl; the holder that fails to renew (Redis away, a
 * renewal slower than that third) steps down at once, before its lease can have expired, so
 * two leaders never overlap by more than a clock's drift. When the holder dies its lease
 * expires, and a standby takes over within one ttl plus one third.
 *
 * `onElected` runs before `leading` turns true, and `onDeposed` after it turns false; neither
 * runs while the other does.
 */
export interface LeadershipOptions {
  lock: JobLock
  /** The lease's name, such as `alerts`. */
  name: string
  ttlMs: number
  onElected: () => Promise<void> | void
  onDeposed: () => Promise<void> | void
  /** A failed renewal or a failing hook; the lease is then given up or not taken. */
  onError: (err: unknown) => void
}

export class Leadership {
  readonly #options: LeadershipOptions
  #leading = false
  #timer: NodeJS.Timeout | undefined
  #round: Promise<void> = Promise.resolve()
  #stopped = false

  constructor (options: LeadershipOptions) {
    this.#options = options
  }

  get leading (): boolean {
    return this.#leading
  }

  /** Makes the first attempt, so a process alone in its deployment leads once this resolves. */
  async start (): Promise<void> {
    this.#stopped = false
    await this.#next()
  }

  /** Stops trying; a leader steps down and releases the lease, so a standby need not wait for it to expire. */
  async stop (): Promise<void> {
    this.#stopped = true
    clearTimeout(this.#timer)
    await this.#round
    if (!this.#leading) return
    await this.#stepDown()
    await this.#options.lock.release(this.#options.name).catch(this.#options.onError)
  }

  #next (): Promise<void> {
    this.#round = this.#attempt().finally(() => {
      if (!this.#stopped) this.#timer = setTimeout(() => { this.#next().catch(this.#options.onError) }, this.#options.ttlMs / 3)
    })
    return this.#round
  }

  async #attempt (): Promise<void> {
    const { lock, name, ttlMs } = this.#options
    let held = false
    try {
      held = await withTimeout(lock.lease(name, ttlMs), ttlMs / 3)
    } catch (err) {
      this.#options.onError(err)
    }
    if (held && !this.#leading) {
      try {
        await this.#options.onElected()
        this.#leading = true
      } catch (err) {
        // Not ready to lead: let another process have it.
        this.#options.onError(err)
        await lock.release(name).catch(this.#options.onError)
      }
    } else if (!held && this.#leading) {
      await this.#stepDown()
    }
  }

  async #stepDown (): Promise<void> {
    this.#leading = false
    try { await this.#options.onDeposed() } catch (err) { this.#options.onError(err) }
  }
}

function withTimeout<T> (promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`lease renewal took longer than ${Math.round(ms)} ms`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

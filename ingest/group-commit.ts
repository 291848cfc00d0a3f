import type { Reading } from '../core/reading.js'

/**
 * Group commit (DESIGN.md section 6): readings from many messages are written in one store
 * call, and each message's promise resolves only when the batch holding it is durable.
 * A batch is cut when it reaches `batchMax` readings or its first reading has waited
 * `flushMs`. One write is in flight at a time. A failed write is retried with backoff,
 * keeping its messages unacknowledged; at most `maxPending` readings wait, after which
 * `add` itself waits (the broker then stops reading those sockets).
 */
export interface GroupCommitOptions {
  write: (readings: Reading[]) => Promise<void>
  batchMax: number
  flushMs: number
  maxPending: number
  onWriteError?: (err: unknown, attempt: number) => void
  /** Backoff after the n-th failed attempt, ms; default 100 ms doubling to 5 s. */
  backoffMs?: (attempt: number) => number
  /**
   * A write error the store will give again however often it is tried (InfluxDB's 4xx):
   * the batch fails at once and its messages go unacknowledged, for their sensors to resend.
   */
  isPermanent?: (err: unknown) => boolean
}

interface SpaceWaiter {
  n: number
  admit: () => void
}

interface Pending {
  readings: Reading[]
  /** performance.now() when added: the linger counts from the oldest waiting message. */
  at: number
  resolve: () => void
  reject: (err: Error) => void
}

export class GroupCommit {
  readonly #options: GroupCommitOptions
  #queue: Pending[] = []
  /** Readings in the queue and in the write in flight. */
  #queued = 0
  /** Readings in the queue only: what the next batch can take. */
  #waiting = 0
  #timer: NodeJS.Timeout | undefined
  #writing: Promise<void> | undefined
  #closed = false
  #hurried = false
  /** Messages waiting for room, first come first served; `#head` is the first still waiting. */
  #spaceWaiters: SpaceWaiter[] = []
  #head = 0
  /** True while the last write attempt failed (readiness). */
  failing = false

  constructor (options: GroupCommitOptions) {
    this.#options = options
  }

  /** Readings waiting or being written. */
  get pending (): number {
    return this.#queued
  }

  async add (readings: Reading[]): Promise<void> {
    if (this.#closed) throw new Error('ingest is closing')
    if (readings.length === 0) return
    const n = readings.length
    if (this.#head < this.#spaceWaiters.length || (this.#queued > 0 && this.#queued + n > this.#options.maxPending)) {
      // Admitted in order of arrival as writes end, each woken once: under overload tens of
      // thousands of messages wait here, and waking them all to find room for a few was
      // most of the work (and garbage) of the process. Admission counts them in #queued.
      await new Promise<void>((resolve) => this.#spaceWaiters.push({ n, admit: resolve }))
      if (this.#closed) {
        this.#queued -= n
        throw new Error('ingest is closing')
      }
    } else {
      this.#queued += n
    }
    const done = new Promise<void>((resolve, reject) => {
      this.#queue.push({ readings, at: performance.now(), resolve, reject })
    })
    this.#waiting += n
    this.#schedule()
    return done
  }

  /**
   * From now on a batch is cut as soon as the previous write ends, without waiting for
   * `flushMs` (shutdown: what arrives in its last moments is written and acknowledged).
   */
  hurry (): void {
    this.#hurried = true
    clearTimeout(this.#timer)
    this.#timer = undefined
    this.#flush()
  }

  /** Writes everything queued, then refuses new readings. */
  async close (): Promise<void> {
    this.#closed = true
    clearTimeout(this.#timer)
    while (this.#writing !== undefined || this.#queue.length > 0) {
      if (this.#writing === undefined) this.#flush()
      await this.#writing
    }
    this.#admit(true)
  }

  /** Lets in waiting messages in order while they fit (all of them when closing, to be refused). */
  #admit (all = false): void {
    const waiters = this.#spaceWaiters
    while (this.#head < waiters.length) {
      const next = waiters[this.#head]!
      if (!all && this.#queued > 0 && this.#queued + next.n > this.#options.maxPending) break
      this.#head++
      this.#queued += next.n
      next.admit()
    }
    // Drop the admitted from the front now and then, not one shift per message.
    if (this.#head === waiters.length) {
      this.#spaceWaiters = []
      this.#head = 0
    } else if (this.#head > 1_024 && this.#head * 2 > waiters.length) {
      this.#spaceWaiters = waiters.slice(this.#head)
      this.#head = 0
    }
  }

  #schedule (): void {
    if (this.#writing !== undefined) return
    if (this.#waiting >= this.#options.batchMax || this.#hurried) {
      clearTimeout(this.#timer)
      this.#timer = undefined
      this.#flush()
    } else if (this.#timer === undefined) {
      // Counted from the oldest message, not from now: what waited through the last write
      // has lingered already and goes at once, so a busy process adds no delay, while an
      // idle one still gathers `flushMs` of messages into one commit.
      const wait = this.#queue[0]!.at + this.#options.flushMs - performance.now()
      if (wait <= 0) return this.#flush()
      this.#timer = setTimeout(() => {
        this.#timer = undefined
        this.#flush()
      }, wait)
    }
  }

  #flush (): void {
    if (this.#writing !== undefined || this.#queue.length === 0) return
    // Take whole messages up to batchMax readings (a message larger than that goes alone).
    // Counted first and cut with one splice: shifting message by message is quadratic when
    // thousands of messages wait, which is exactly when the flush must be quick.
    let taken = 0
    let size = 0
    while (taken < this.#queue.length) {
      const next = this.#queue[taken]!.readings.length
      if (taken > 0 && size + next > this.#options.batchMax) break
      size += next
      taken++
    }
    const batch = this.#queue.splice(0, taken)
    this.#waiting -= size
    this.#writing = this.#writeWithRetry(batch.flatMap((p) => p.readings)).then(() => {
      for (const p of batch) p.resolve()
    }, (err: Error) => {
      for (const p of batch) p.reject(err)
    }).finally(() => {
      this.#queued -= size
      this.#writing = undefined
      this.#admit()
      if (this.#queue.length > 0) this.#schedule()
    })
  }

  async #writeWithRetry (readings: Reading[]): Promise<void> {
    const backoff = this.#options.backoffMs ?? ((n: number) => Math.min(5_000, 100 * 2 ** (n - 1)))
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#options.write(readings)
        this.failing = false
        return
      } catch (err) {
        this.failing = true
        this.#options.onWriteError?.(err, attempt)
        // On close, give up after one more try: the messages stay unacknowledged and the
        // sensors resend them to the next process.
        if ((this.#closed && attempt >= 2) || this.#options.isPermanent?.(err) === true) throw err instanceof Error ? err : new Error(String(err))
        await new Promise((resolve) => setTimeout(resolve, backoff(attempt)))
      }
    }
  }
}

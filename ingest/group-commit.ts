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
  #spaceWaiters: Array<() => void> = []
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
    while (this.#queued > 0 && this.#queued + readings.length > this.#options.maxPending) {
      await new Promise<void>((resolve) => this.#spaceWaiters.push(resolve))
      if (this.#closed) throw new Error('ingest is closing')
    }
    const done = new Promise<void>((resolve, reject) => {
      this.#queue.push({ readings, at: performance.now(), resolve, reject })
    })
    this.#queued += readings.length
    this.#waiting += readings.length
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
    for (const wake of this.#spaceWaiters.splice(0)) wake()
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
      for (const wake of this.#spaceWaiters.splice(0)) wake()
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

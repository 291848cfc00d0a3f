import { createHmac, randomBytes } from 'node:crypto'
import { SensorstadError } from '../../core/errors.js'

/**
 * Pseudonyms that rotate every UTC day (privacy rules 6 and 7): the grid store keys a ride's
 * contribution by HMAC-SHA256(key of the day, input), so distinct rides and devices can be
 * counted within a day while rides of different days cannot be linked, by us or by anyone who
 * reads the store. The keys live only in this object's private fields: they are drawn at
 * random on first use, never written anywhere, never returned, and forgotten `keepDays` after
 * their day, after which nobody, us included, can recompute a pseudonym of that day. A
 * restart draws new keys; the cost is that a ride spanning the restart counts as two.
 *
 * Not the registry's sensor identity: a pseudonym is one-way and unlinkable across days, on
 * purpose (GDPR recital 26 and article 4(5): without the key it is not attributable).
 */

const DAY_MS = 86_400_000
/** HMAC-SHA256 key length, bytes: the hash's output size (RFC 2104 section 3). */
const KEY_BYTES = 32
/** Truncated HMAC output, bytes: 128 bits, at least half the hash (RFC 2104 section 5). */
const PSEUDONYM_BYTES = 16

export interface PseudonymizerOptions {
  /** Clock, epoch ms; tests pass a fixed one. */
  now?: () => number
  /** Source of 32-byte keys; defaults to `crypto.randomBytes`. For tests only. */
  randomKey?: () => Buffer
  /**
   * How many UTC days before today a key is kept, so that late readings of a ride still get
   * that day's pseudonym. Default 2, which covers the 6 h allowed lateness of the snuffelfiets
   * kind across a midnight with room to spare.
   */
  keepDays?: number
}

export class Pseudonymizer {
  // ES private fields: invisible to JSON.stringify, Object.keys, spread and util.inspect.
  readonly #keys = new Map<number, Buffer>()
  readonly #now: () => number
  readonly #randomKey: () => Buffer
  readonly #keepDays: number

  constructor (options: PseudonymizerOptions = {}) {
    const keepDays = options.keepDays ?? 2
    if (!Number.isSafeInteger(keepDays) || keepDays < 0) throw new RangeError(`keepDays must be a non-negative integer, got ${keepDays}`)
    this.#now = options.now ?? Date.now
    this.#randomKey = options.randomKey ?? (() => randomBytes(KEY_BYTES))
    this.#keepDays = keepDays
  }

  /**
   * base64url of the first 16 bytes of HMAC-SHA256(key of `time`'s UTC day, `input`): 22
   * characters. Throws INGEST_ERR_TOO_LATE for a day whose key is already forgotten and
   * INGEST_ERR_FUTURE for a day after tomorrow (a device clock that far off is not a late
   * reading; a key for it would linger); the caller drops the reading.
   */
  pseudonym (input: string, time: number): string {
    if (!Number.isFinite(time)) throw new SensorstadError('INGEST_ERR_TIME', 'Pseudonym time is not a finite epoch time')
    const today = Math.floor(this.#now() / DAY_MS)
    this.#forgetBefore(today - this.#keepDays)
    const day = Math.floor(time / DAY_MS)
    if (day < today - this.#keepDays) throw new SensorstadError('INGEST_ERR_TOO_LATE', `The pseudonym key of that day is forgotten (kept ${this.#keepDays} days)`)
    // Tomorrow is allowed: a reading stamped just after midnight by a device clock a little ahead.
    if (day > today + 1) throw new SensorstadError('INGEST_ERR_FUTURE')
    return createHmac('sha256', this.#keyOf(day)).update(input, 'utf8').digest().subarray(0, PSEUDONYM_BYTES).toString('base64url')
  }

  /** How many day keys are held; for metrics and tests, never the keys themselves. */
  get keyCount (): number {
    return this.#keys.size
  }

  #keyOf (day: number): Buffer {
    let key = this.#keys.get(day)
    if (key === undefined) {
      const drawn = this.#randomKey()
      if (drawn.length !== KEY_BYTES) throw new RangeError(`A day key must be ${KEY_BYTES} bytes, got ${drawn.length}`)
      // A copy, so that wiping it on forget cannot touch a buffer the caller still holds.
      key = Buffer.from(drawn)
      this.#keys.set(day, key)
    }
    return key
  }

  #forgetBefore (firstKeptDay: number): void {
    for (const [day, key] of this.#keys) {
      if (day < firstKeptDay) {
        // Overwrite before dropping the reference, so the bytes do not linger until GC.
        key.fill(0)
        this.#keys.delete(day)
      }
    }
  }
}

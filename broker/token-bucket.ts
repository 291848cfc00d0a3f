/**
 * Token buckets by key (a sensor id), pure: the clock is handed in. A bucket holds at most
 * `burst` tokens and gains `perMinute / 60_000` a millisecond; a message takes one. A bucket
 * that has refilled to `burst` is the same as no bucket, so it is forgotten: memory holds only
 * sensors that published recently, and never more than `maxKeys` buckets.
 */
export interface BucketLimit {
  /** Tokens added per minute. */
  perMinute: number
  /** Most tokens a bucket holds, so most messages sent at once after a quiet spell. */
  burst: number
}

export interface TokenBuckets {
  /** Takes one token from `key`'s bucket; false when it is empty (the message is over the limit). */
  take (key: string, limit: BucketLimit): boolean
  /** Buckets held, for tests and bounds. */
  readonly size: number
}

interface Bucket { tokens: number, at: number, limit: BucketLimit }

export function createTokenBuckets (options: { now: () => number, maxKeys?: number }): TokenBuckets {
  const maxKeys = options.maxKeys ?? 100_000
  const buckets = new Map<string, Bucket>()
  let sinceSweep = 0

  const refilled = (bucket: Bucket, now: number): number =>
    Math.min(bucket.limit.burst, bucket.tokens + Math.max(0, now - bucket.at) * bucket.limit.perMinute / 60_000)

  /** Drops full buckets; amortised over `maxKeys / 4` calls so a take stays O(1) on average. */
  function sweep (now: number): void {
    for (const [key, bucket] of buckets) if (refilled(bucket, now) >= bucket.limit.burst) buckets.delete(key)
    // Still full of busy keys: forget the oldest, which only makes the limit more lenient.
    for (const key of buckets.keys()) {
      if (buckets.size < maxKeys) break
      buckets.delete(key)
    }
  }

  return {
    take (key, limit) {
      const now = options.now()
      if (++sinceSweep >= Math.max(1, maxKeys / 4) || buckets.size >= maxKeys) {
        sinceSweep = 0
        sweep(now)
      }
      const bucket = buckets.get(key)
      const tokens = bucket === undefined ? limit.burst : refilled(bucket, now)
      if (tokens < 1) {
        if (bucket !== undefined) Object.assign(bucket, { tokens, at: now, limit })
        return false
      }
      buckets.set(key, { tokens: tokens - 1, at: now, limit })
      return true
    },
    get size () { return buckets.size }
  }
}

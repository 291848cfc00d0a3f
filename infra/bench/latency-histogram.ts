/**
 * Latencies in microseconds, in log-spaced buckets (16 per doubling, so a percentile is off by
 * at most 4.4 %): recording is one log2 and an increment, and histograms of several generator
 * processes merge by adding their counts.
 */
const PER_OCTAVE = 16
/** 2^30 us is about 18 minutes; anything slower lands in the last bucket. */
const BUCKETS = 30 * PER_OCTAVE + 2

export class LatencyHistogram {
  readonly counts: number[]
  count = 0
  maxUs = 0

  constructor (counts?: readonly number[], maxUs = 0) {
    this.counts = counts === undefined ? new Array<number>(BUCKETS).fill(0) : [...counts]
    this.count = this.counts.reduce((a, b) => a + b, 0)
    this.maxUs = maxUs
  }

  record (us: number): void {
    const b = us < 1 ? 0 : Math.min(BUCKETS - 1, Math.floor(Math.log2(us) * PER_OCTAVE) + 1)
    this.counts[b]!++
    this.count++
    if (us > this.maxUs) this.maxUs = us
  }

  merge (other: LatencyHistogram): void {
    for (let i = 0; i < BUCKETS; i++) this.counts[i]! += other.counts[i] ?? 0
    this.count += other.count
    this.maxUs = Math.max(this.maxUs, other.maxUs)
  }

  /** The latency below which a fraction `q` (0..1) of samples fall, in microseconds; NaN when empty. */
  quantile (q: number): number {
    if (this.count === 0) return NaN
    const rank = Math.max(1, Math.ceil(q * this.count))
    let seen = 0
    for (let b = 0; b < BUCKETS; b++) {
      seen += this.counts[b]!
      if (seen >= rank) return b === 0 ? 0.5 : Math.min(this.maxUs, 2 ** ((b - 0.5) / PER_OCTAVE))
    }
    return this.maxUs
  }

  toJSON (): { counts: number[], maxUs: number } {
    return { counts: this.counts, maxUs: this.maxUs }
  }
}

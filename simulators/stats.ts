/**
 * Counters shared by every simulated device, read by the progress line and the summary.
 * Ack latency is kept as a bounded uniform sample (reservoir sampling, Vitter's algorithm R),
 * so a long load run does not grow memory.
 */
const LATENCY_SAMPLE_SIZE = 20_000

export class Stats {
  /** Messages handed to the client (payloads, not status). */
  sent = 0
  /** QoS 1 messages the broker acknowledged with PUBACK. */
  acked = 0
  /** Publishes the client reported as failed (connection closed before the ack, client ending). */
  failed = 0
  /** Readings not sent: device offline or its in-flight window full. */
  skipped = 0
  /** Connection errors after the first connect (drops, refused reconnects). */
  connectionErrors = 0
  /** Messages sent, by sensor kind. */
  readonly sentByKind = new Map<string, number>()
  /** Rejections from the `errors` topics, by code. */
  readonly rejectedByCode = new Map<string, number>()
  /** Deliberately bad messages sent (misbehave mode), by the code they should earn. */
  readonly badSentByCode = new Map<string, number>()
  readonly #latencies: number[] = []
  #latencyCount = 0

  countSent (kind: string): void {
    this.sent++
    this.sentByKind.set(kind, (this.sentByKind.get(kind) ?? 0) + 1)
  }

  reject (code: string): void {
    this.rejectedByCode.set(code, (this.rejectedByCode.get(code) ?? 0) + 1)
  }

  sentBad (expected: string): void {
    this.badSentByCode.set(expected, (this.badSentByCode.get(expected) ?? 0) + 1)
  }

  get rejected (): number {
    let total = 0
    for (const n of this.rejectedByCode.values()) total += n
    return total
  }

  get badSent (): number {
    let total = 0
    for (const n of this.badSentByCode.values()) total += n
    return total
  }

  /** Publish to PUBACK, milliseconds. */
  recordLatency (ms: number): void {
    this.#latencyCount++
    if (this.#latencies.length < LATENCY_SAMPLE_SIZE) {
      this.#latencies.push(ms)
      return
    }
    const slot = Math.floor(Math.random() * this.#latencyCount)
    if (slot < LATENCY_SAMPLE_SIZE) this.#latencies[slot] = ms
  }

  /** The `q`-quantile (0-1) of ack latency in milliseconds, or null before the first ack. */
  latencyQuantile (q: number): number | null {
    if (this.#latencies.length === 0) return null
    const sorted = [...this.#latencies].sort((a, b) => a - b)
    return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!
  }
}

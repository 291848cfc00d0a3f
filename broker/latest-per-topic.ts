/**
 * Publishes only the newest payload of each topic, at most once per `intervalMs`: for retained
 * open data (`open/v1/...`), where a subscriber wants the current value, not every step to it.
 * A bin that reports every few minutes is published as before, a moment later; a flood of
 * readings costs one retained publish per topic per interval instead of one per reading, so
 * the open feed cannot become the broker's bottleneck. Topics waiting are bounded by what
 * exists (sensors x fields); a publish that fails is logged by the caller and not retried,
 * since a newer value follows. Values are serialised as JSON when published, so a value
 * replaced before its turn costs nothing but the map entry.
 */
export class LatestPerTopic {
  readonly #publish: (topic: string, payload: string) => Promise<void>
  readonly #intervalMs: number
  readonly #onError: (err: unknown) => void
  #waiting = new Map<string, unknown>()
  #timer: NodeJS.Timeout | undefined
  #closed = false

  constructor (publish: (topic: string, payload: string) => Promise<void>, intervalMs: number, onError: (err: unknown) => void) {
    this.#publish = publish
    this.#intervalMs = intervalMs
    this.#onError = onError
  }

  offer (topic: string, value: unknown): void {
    if (this.#closed) return
    this.#waiting.set(topic, value)
    this.#timer ??= setTimeout(() => this.#flush(), this.#intervalMs)
  }

  /** Publishes what waits, then takes nothing more. */
  async close (): Promise<void> {
    this.#closed = true
    clearTimeout(this.#timer)
    await this.#flush()
  }

  async #flush (): Promise<void> {
    this.#timer = undefined
    const batch = this.#waiting
    this.#waiting = new Map()
    await Promise.all([...batch].map(([topic, value]) => this.#publish(topic, JSON.stringify(value)).catch(this.#onError)))
  }
}

import type { SeriesFilter } from '../core/ports/time-series-store.js'
import type { Reading } from '../core/reading.js'
import { compareText, seriesMatcher } from './series-order.js'

/**
 * The newest reading of every (sensor, field), kept in memory: what `latest` answers, without
 * a query or an upsert per write. A reading replaces the one held unless that one is newer; at
 * equal times the later write wins, as it does for the reading itself. One entry per series,
 * so its size is bounded by the register (sensors times fields), not by the traffic.
 *
 * A store that persists it asks for the series changed since it last did (`takeChanged`), and
 * hands them back when that write failed (`returnChanged`).
 */
export class LatestReadings {
  readonly #rows = new Map<string, Reading>()
  #changed = new Set<string>()
  /** The keys in series order, kept until a new series arrives (values change in place). */
  #sorted: string[] | undefined

  get size (): number {
    return this.#rows.size
  }

  offer (r: Reading): void {
    const key = `${r.sensorId}\u0000${r.field}`
    const held = this.#rows.get(key)
    if (held === undefined) {
      this.#rows.set(key, { sensorId: r.sensorId, kind: r.kind, field: r.field, time: r.time, value: r.value })
      this.#sorted = undefined
    } else if (r.time >= held.time) {
      held.kind = r.kind
      held.time = r.time
      held.value = r.value
    } else {
      return
    }
    this.#changed.add(key)
  }

  /** The newest reading of every series that matches, ordered by sensorId and field; copies. */
  query (filter: SeriesFilter): Reading[] {
    const matches = seriesMatcher(filter)
    const out: Reading[] = []
    // The key is sensorId NUL field, and NUL sorts before any character of an id: key order is series order.
    this.#sorted ??= [...this.#rows.keys()].sort(compareText)
    for (const key of this.#sorted) {
      const r = this.#rows.get(key)!
      if (matches(r)) out.push({ ...r })
    }
    return out
  }

  /** The series changed since the last call, as they are now; they count as unchanged after. */
  takeChanged (): Reading[] {
    const keys = this.#changed
    this.#changed = new Set()
    return [...keys].map((key) => ({ ...this.#rows.get(key)! }))
  }

  /** Marks series changed again, after the write that was to persist them failed. */
  returnChanged (rows: readonly Reading[]): void {
    for (const r of rows) this.#changed.add(`${r.sensorId}\u0000${r.field}`)
  }

  get changed (): number {
    return this.#changed.size
  }

  clear (): void {
    this.#rows.clear()
    this.#changed.clear()
    this.#sorted = undefined
  }
}

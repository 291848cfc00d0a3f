import { SensorstadError } from '../core/errors.js'
import { firstOpenWindow, type AggregateQuery, type RangeQuery, type SeriesFilter, type TimeSeriesStore } from '../core/ports/time-series-store.js'
import type { Aggregate, Reading } from '../core/reading.js'
import { windowStart } from '../core/windows.js'
import { LatestReadings } from './latest-readings.js'
import { DEFAULT_LIMIT, readingRangeOfWindows } from './query-range.js'
import { bySeries, seriesMatcher } from './series-order.js'

/**
 * The reference implementation of the time-series port: plain Maps, no persistence. It is
 * what the conformance suite is written against, and what tests of other modules use.
 */
export class MemoryTimeSeriesStore implements TimeSeriesStore {
  /** Keyed by (sensorId, field, time): a second write of a key replaces the first. */
  readonly #readings = new Map<string, Reading>()
  /** Kept apart so retention does not forget the latest value. */
  readonly #latest = new LatestReadings()
  /** Keyed by (sensorId, field, window, start). */
  readonly #aggregates = new Map<string, Aggregate>()
  #closed = false

  async writeReadings (readings: readonly Reading[]): Promise<void> {
    this.#assertOpen()
    for (const r of readings) {
      this.#readings.set(key(r.sensorId, r.field, r.time), { ...r })
      this.#latest.offer(r)
    }
  }

  async writeAggregates (aggregates: readonly Aggregate[]): Promise<void> {
    this.#assertOpen()
    for (const a of aggregates) {
      this.#aggregates.set(key(a.sensorId, a.field, a.window, a.start), { ...a })
    }
  }

  async readings (query: RangeQuery): Promise<Reading[]> {
    this.#assertOpen()
    const matches = seriesMatcher(query)
    const rows = [...this.#readings.values()]
      .filter((r) => matches(r) && r.time >= query.from && r.time < query.to)
      .sort(bySeries((r) => r.time))
    return rows.slice(0, query.limit ?? DEFAULT_LIMIT).map((r) => ({ ...r }))
  }

  async aggregates (query: AggregateQuery): Promise<Aggregate[]> {
    this.#assertOpen()
    const source = query.source ?? 'auto'
    const byKey = new Map<string, Aggregate>()
    if (source !== 'stored') {
      const from = Math.max(query.from, firstOpenWindow(query))
      for (const a of this.#computed({ ...query, from })) byKey.set(key(a.sensorId, a.field, a.start), a)
    }
    if (source !== 'readings') {
      const matches = seriesMatcher(query)
      for (const a of this.#aggregates.values()) {
        if (a.window === query.window && matches(a) && a.start >= query.from && a.start < query.to) {
          byKey.set(key(a.sensorId, a.field, a.start), { ...a })
        }
      }
    }
    const rows = [...byKey.values()].sort(bySeries((a) => a.start))
    return rows.slice(0, query.limit ?? DEFAULT_LIMIT)
  }

  async latest (filter: SeriesFilter): Promise<Reading[]> {
    this.#assertOpen()
    return this.#latest.query(filter)
  }

  async deleteReadingsBefore (kind: string, before: number, sensorIds?: readonly string[]): Promise<number> {
    this.#assertOpen()
    let deleted = 0
    for (const [k, r] of this.#readings) {
      if (r.kind === kind && r.time < before && (sensorIds === undefined || sensorIds.includes(r.sensorId))) {
        this.#readings.delete(k)
        deleted++
      }
    }
    return deleted
  }

  async ping (): Promise<void> {
    this.#assertOpen()
  }

  async close (): Promise<void> {
    this.#closed = true
  }

  #computed (query: AggregateQuery): Aggregate[] {
    const range = readingRangeOfWindows(query.window, query.from, query.to)
    const buckets = new Map<string, { agg: Aggregate, newest: number }>()
    const matches = seriesMatcher(query)
    for (const r of this.#readings.values()) {
      if (!matches(r) || r.time < range.from || r.time >= range.to) continue
      const start = windowStart(query.window, r.time)
      const k = key(r.sensorId, r.field, start)
      const bucket = buckets.get(k)
      if (bucket === undefined) {
        const agg = { sensorId: r.sensorId, kind: r.kind, field: r.field, window: query.window, start, count: 1, sum: r.value, min: r.value, max: r.value }
        buckets.set(k, { agg, newest: r.time })
        continue
      }
      const { agg } = bucket
      agg.count++
      agg.sum += r.value
      agg.min = Math.min(agg.min, r.value)
      agg.max = Math.max(agg.max, r.value)
      // A window's kind is that of its newest reading (a sensor does not change kind in practice).
      if (r.time > bucket.newest) {
        agg.kind = r.kind
        bucket.newest = r.time
      }
    }
    return [...buckets.values()].map((b) => b.agg)
  }

  #assertOpen (): void {
    if (this.#closed) throw new SensorstadError('STORE_ERR_UNAVAILABLE', 'The time-series store is closed')
  }
}

function key (...parts: ReadonlyArray<string | number>): string {
  return JSON.stringify(parts)
}

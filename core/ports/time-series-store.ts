import type { Aggregate, Reading } from '../reading.js'
import { windowStart, type Window } from '../windows.js'

/**
 * The time-series port. Implementations: the embedded DuckDB store (`store/`), a memory
 * reference, and InfluxDB (a later issue). Every one passes
 * `test/store/time-series-store.conformance.ts`.
 *
 * Times are epoch milliseconds; ranges are half-open `[from, to)`.
 */
export interface SeriesFilter {
  kind?: string
  sensorIds?: readonly string[]
  field?: string
}

export interface RangeQuery extends SeriesFilter {
  from: number
  to: number
  /** At most this many rows (the API caps it); default 10,000. */
  limit?: number
}

export interface AggregateQuery extends RangeQuery {
  window: Window
  /**
   * - `readings`: compute each window from the raw readings (what the rollup job writes).
   * - `stored`: only aggregates written with `writeAggregates` (what survives retention).
   * - `auto` (default): stored where a window was stored, else computed from readings.
   */
  source?: 'auto' | 'readings' | 'stored'
  /**
   * With `auto`: windows that end at or before this time (epoch ms) are final, written by the
   * rollup job, so they come from stored aggregates only, and raw readings are read only for
   * the windows after (`[max(from, firstOpenWindow), to)`). A final window with nothing stored
   * is absent. Absent: any window may be computed. `stored` and `readings` ignore it.
   */
  finalBefore?: number
}

/**
 * Start of the first window `auto` may compute from readings: windows before it end at or
 * before `finalBefore`. `-Infinity` without `finalBefore` or with another source.
 */
export function firstOpenWindow (query: AggregateQuery): number {
  if (query.finalBefore === undefined || (query.source ?? 'auto') !== 'auto') return -Infinity
  return windowStart(query.window, Math.floor(query.finalBefore))
}

export interface TimeSeriesStore {
  /**
   * Durable when the promise resolves (the ingest acks QoS 1 on it). Idempotent on
   * (sensorId, field, time): writing the same reading twice stores it once; for the same
   * key the later write's value wins.
   */
  writeReadings (readings: readonly Reading[]): Promise<void>
  /** Insert or replace by (sensorId, field, window, start). */
  writeAggregates (aggregates: readonly Aggregate[]): Promise<void>
  /** Raw readings in range, each key once, ordered by sensorId, field, time. */
  readings (query: RangeQuery): Promise<Reading[]>
  /** Aggregates in range, ordered by sensorId, field, start. */
  aggregates (query: AggregateQuery): Promise<Aggregate[]>
  /** The newest reading of every (sensor, field) that matches. */
  latest (filter: SeriesFilter): Promise<Reading[]>
  /**
   * Deletes raw readings of `kind` older than `before`; aggregates stay. With `sensorIds`,
   * only those sensors' readings of `kind` go (an empty list deletes nothing): a sensor may be
   * registered with a retention shorter than its kind's. Returns readings deleted, each key once.
   */
  deleteReadingsBefore (kind: string, before: number, sensorIds?: readonly string[]): Promise<number>
  /** Rejects when the store cannot serve (readiness). */
  ping (): Promise<void>
  close (): Promise<void>
}

import type { SeriesFilter } from '../core/ports/time-series-store.js'

/** A code unit at or above which UTF-16 order and code-point order may differ (surrogates and up). */
const SURROGATE_OR_ABOVE = /[\uD800-\uFFFF]/

/**
 * Code-point order, which is what DuckDB (and SQL's binary collation) use. JS `<` compares
 * UTF-16 units instead, which puts U+10000 and above before U+E000..U+FFFF; below U+D800 the
 * two agree, so ids and field names (ASCII) take the quick way.
 */
export function compareText (a: string, b: string): number {
  if (a === b) return 0
  if (!SURROGATE_OR_ABOVE.test(a) && !SURROGATE_OR_ABOVE.test(b)) return a < b ? -1 : 1
  return Buffer.compare(Buffer.from(a), Buffer.from(b))
}

/** Orders by sensorId, field, then `time`, as every store must. */
export function bySeries<T extends { sensorId: string, field: string }> (time: (row: T) => number) {
  return (a: T, b: T): number =>
    compareText(a.sensorId, b.sensorId) || compareText(a.field, b.field) || time(a) - time(b)
}

/** A predicate for the rows a SeriesFilter selects. */
export function seriesMatcher (filter: SeriesFilter): (row: { sensorId: string, kind: string, field: string }) => boolean {
  const sensorIds = filter.sensorIds === undefined ? undefined : new Set(filter.sensorIds)
  return (row) => (filter.kind === undefined || row.kind === filter.kind) &&
    (filter.field === undefined || row.field === filter.field) &&
    (sensorIds === undefined || sensorIds.has(row.sensorId))
}

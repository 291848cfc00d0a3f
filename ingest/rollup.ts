import type { KindDefinition } from '../core/kind.js'
import type { TimeSeriesStore } from '../core/ports/time-series-store.js'
import { mergeAggregates, type Aggregate } from '../core/reading.js'
import { ROLLUP_SOURCE, WINDOW_MS, WINDOWS, windowStart, type Window } from '../core/windows.js'

/**
 * Materialises closed windows so aggregates outlive the raw readings' retention. 1-minute
 * windows are computed from the (deduplicated) raw readings; every coarser window is the
 * exact merge of the stored finer ones (count, sum, min, max add up). Each run recomputes
 * every window a late reading could still land in (the kind's allowed lateness), and stores
 * replace by key, so running it twice, or after a redelivery, changes nothing.
 */
export interface RollupResult {
  kind: string
  window: Window
  written: number
}

export async function rollup (store: TimeSeriesStore, kinds: Iterable<KindDefinition>, now: number): Promise<RollupResult[]> {
  const results: RollupResult[] = []
  for (const kind of kinds) {
    const since = now - kind.allowedLatenessS * 1000
    for (const window of WINDOWS) {
      const from = windowStart(window, since - WINDOW_MS[window])
      const to = windowStart(window, now)
      if (to <= from) continue
      const source = ROLLUP_SOURCE[window]
      const aggregates = source === null
        ? await store.aggregates({ kind: kind.id, window, from, to, source: 'readings', limit: Number.MAX_SAFE_INTEGER })
        : mergeInto(window, await store.aggregates({ kind: kind.id, window: source, from, to, source: 'stored', limit: Number.MAX_SAFE_INTEGER }))
      if (aggregates.length > 0) await store.writeAggregates(aggregates)
      results.push({ kind: kind.id, window, written: aggregates.length })
    }
  }
  return results
}

/** Merges finer aggregates into windows of `window`, exactly. */
export function mergeInto (window: Window, finer: readonly Aggregate[]): Aggregate[] {
  const merged = new Map<string, Aggregate>()
  for (const agg of finer) {
    const start = windowStart(window, agg.start)
    const key = `${agg.sensorId}\u0000${agg.field}\u0000${start}`
    const existing = merged.get(key)
    merged.set(key, existing === undefined ? { ...agg, window, start } : mergeAggregates(existing, agg))
  }
  return [...merged.values()]
}

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
        ? await minutesFromReadings(store, kind.id, from, to)
        : mergeInto(window, await store.aggregates({ kind: kind.id, window: source, from, to, source: 'stored', limit: Number.MAX_SAFE_INTEGER }))
      if (aggregates.length > 0) await store.writeAggregates(aggregates)
      results.push({ kind: kind.id, window, written: aggregates.length })
    }
  }
  return results
}

/**
 * 1-minute windows of `kind` starting in `[from, to)`, from the raw readings. Writes never
 * take a reading away (they are idempotent on the key), so a window that now holds fewer
 * readings than its stored aggregate has lost some to retention: that can happen when a
 * retention (a sensor's may be as short as a day) reaches into the allowed lateness. The
 * stored window is then kept rather than rewritten from what is left.
 */
async function minutesFromReadings (store: TimeSeriesStore, kind: string, from: number, to: number): Promise<Aggregate[]> {
  const query = { kind, window: '1m' as const, from, to, limit: Number.MAX_SAFE_INTEGER }
  const storedCount = new Map<string, number>()
  for (const agg of await store.aggregates({ ...query, source: 'stored' })) storedCount.set(windowKey(agg, agg.start), agg.count)
  return (await store.aggregates({ ...query, source: 'readings' }))
    .filter((agg) => agg.count >= (storedCount.get(windowKey(agg, agg.start)) ?? 0))
}

/** Merges finer aggregates into windows of `window`, exactly. */
export function mergeInto (window: Window, finer: readonly Aggregate[]): Aggregate[] {
  const merged = new Map<string, Aggregate>()
  for (const agg of finer) {
    const start = windowStart(window, agg.start)
    const key = windowKey(agg, start)
    const existing = merged.get(key)
    merged.set(key, existing === undefined ? { ...agg, window, start } : mergeAggregates(existing, agg))
  }
  return [...merged.values()]
}

function windowKey (agg: Pick<Aggregate, 'sensorId' | 'field'>, start: number): string {
  return `${agg.sensorId}\u0000${agg.field}\u0000${start}`
}

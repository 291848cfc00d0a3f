import type { KindDefinition } from '../core/kind.js'
import type { TimeSeriesStore } from '../core/ports/time-series-store.js'

const DAY_MS = 86_400_000

/**
 * Deletes raw readings older than each kind's retention (DESIGN.md section 5); aggregates
 * stay. The rollup job runs every minute, far inside any retention, so every window is
 * materialised long before its readings go.
 */
export async function purgeExpired (store: TimeSeriesStore, kinds: Iterable<KindDefinition>, now: number): Promise<Array<{ kind: string, deleted: number }>> {
  const results = []
  for (const kind of kinds) {
    const deleted = await store.deleteReadingsBefore(kind.id, now - kind.retentionDays * DAY_MS)
    results.push({ kind: kind.id, deleted })
  }
  return results
}

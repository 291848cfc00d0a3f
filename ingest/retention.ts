import type { KindDefinition } from '../core/kind.js'
import type { GridStore } from '../core/ports/grid-store.js'
import type { TimeSeriesStore } from '../core/ports/time-series-store.js'
import type { Sensor } from '../core/sensor.js'

const DAY_MS = 86_400_000

export interface PurgeResult {
  kind: string
  retentionDays: number
  /** Set when the purge covered only this many sensors, those whose retention is shorter than the kind's. */
  sensors?: number
  deleted: number
}

/**
 * Deletes raw readings older than their retention (DESIGN.md section 5); aggregates stay.
 * Every kind's readings go after the kind's `retentionDays`; a sensor registered with a
 * shorter `retentionDays` (the registry allows at most the kind's) loses its readings after
 * its own, in one store call per (kind, retentionDays) group. A sensor whose kind is not in
 * `kinds` is left alone; so is one whose retention is not shorter than its kind's.
 *
 * Aggregates stay because the rollup job (every minute) materialised every window before its
 * readings went. It recomputes 1-minute windows back to the kind's allowed lateness plus a
 * minute, which a retention can reach (one day, for a sensor of a kind with a day's
 * lateness); it then keeps a stored window rather than rewrite it from fewer readings.
 */
export async function purgeExpired (
  store: TimeSeriesStore,
  kinds: Iterable<KindDefinition>,
  sensors: ReadonlyArray<Pick<Sensor, 'id' | 'kind' | 'retentionDays'>>,
  now: number
): Promise<PurgeResult[]> {
  const results: PurgeResult[] = []
  for (const kind of kinds) {
    const deleted = await store.deleteReadingsBefore(kind.id, now - kind.retentionDays * DAY_MS)
    results.push({ kind: kind.id, retentionDays: kind.retentionDays, deleted })

    const shorter = new Map<number, string[]>()
    for (const sensor of sensors) {
      if (sensor.kind !== kind.id || sensor.retentionDays >= kind.retentionDays) continue
      const group = shorter.get(sensor.retentionDays)
      if (group === undefined) shorter.set(sensor.retentionDays, [sensor.id])
      else group.push(sensor.id)
    }
    for (const [retentionDays, sensorIds] of [...shorter].sort(([a], [b]) => a - b)) {
      const deleted = await store.deleteReadingsBefore(kind.id, now - retentionDays * DAY_MS, sensorIds)
      results.push({ kind: kind.id, retentionDays, sensors: sensorIds.length, deleted })
    }
  }
  return results
}

/**
 * Retention of mobile data (privacy rule 7): contributions older than the kind's retention
 * lose their ride and device pseudonyms; what stays is one summary per cell, hour and field.
 */
export async function compactGrid (grid: GridStore, kinds: Iterable<KindDefinition>, now: number): Promise<PurgeResult[]> {
  const results: PurgeResult[] = []
  for (const kind of kinds) {
    if (kind.privacy.grid === undefined) continue
    const deleted = await grid.compactBefore(kind.id, now - kind.retentionDays * DAY_MS)
    results.push({ kind: kind.id, retentionDays: kind.retentionDays, deleted })
  }
  return results
}

import type { Aggregate } from '../core/reading.js'
import type { CountTable } from './crowd-suppression.js'

/**
 * The people in a zone during a window: the sum over the zone's crowd monitors of each
 * monitor's mean count in that window. Monitors cover disjoint parts of a zone (entrances,
 * halves of a square), so their counts add; each reports many times per window, so its own
 * readings average. Pure: the route hands in store aggregates and the register's sensors.
 */
export function crowdCountTable (
  aggregates: readonly Aggregate[],
  /** Sensor id to zone id, for the monitors that may count. */
  zoneOfSensor: ReadonlyMap<string, string>,
  zones: readonly string[],
  /** Window starts, epoch ms, in order. */
  windows: readonly number[]
): CountTable {
  const zoneIndex = new Map(zones.map((z, i) => [z, i]))
  const windowIndex = new Map(windows.map((w, i) => [w, i]))
  const counts: Array<Array<number | null>> = windows.map(() => zones.map(() => null))
  for (const a of aggregates) {
    const z = zoneIndex.get(zoneOfSensor.get(a.sensorId) ?? '')
    const w = windowIndex.get(a.start)
    // An empty partial has no mean; it is "no data", not a count of 0.
    if (z === undefined || w === undefined || a.count === 0) continue
    const row = counts[w]!
    row[z] = (row[z] ?? 0) + a.sum / a.count
  }
  return { zones: [...zones], windows: [...windows], counts }
}

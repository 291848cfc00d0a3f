import { countsPrivacySchema, type KindDefinition } from '../core/kind.js'
import type { TimeSeriesStore } from '../core/ports/time-series-store.js'
import { WINDOW_MS, type Window } from '../core/windows.js'
import type { Registry } from '../registry/registry.js'
import { crowdCountTable } from './crowd-counts.js'
import { finalBefore } from './final-windows.js'
import { suppressSmallCounts, type CountTable, type PublishedTable } from './crowd-suppression.js'

/**
 * People per zone and window of a counts kind, read from the store: the one source behind
 * /v1/crowd, SensorThings, the day files and the live feed, so they cannot disagree.
 * `public` counts only monitors registered as public; `exact` (enforcement) counts them all.
 * With `now`, windows the rollup has made final are read from stored aggregates only
 * (api/final-windows.ts); without it, every window may be recomputed from readings.
 */
export function countsPolicy (kind: KindDefinition): NonNullable<KindDefinition['privacy']['counts']> {
  // A counts kind without a policy still gets the defaults, never exact public counts.
  return kind.privacy.counts ?? countsPrivacySchema.parse({ field: 'peopleCount' })
}

export async function zoneCounts (registry: Registry, store: TimeSeriesStore, kind: KindDefinition, window: Window, windows: readonly number[], audience: 'public' | 'exact', now?: number): Promise<CountTable> {
  const zones = registry.listZones().map((z) => z.id)
  const monitors = registry.listSensors().filter((s) => s.kind === kind.id && s.zoneId !== undefined && (audience === 'exact' || s.public))
  const zoneOfSensor = new Map(monitors.map((s) => [s.id, s.zoneId!]))
  const aggregates = monitors.length === 0 || windows.length === 0
    ? []
    : await store.aggregates({
      kind: kind.id,
      field: countsPolicy(kind).field,
      sensorIds: [...zoneOfSensor.keys()],
      window,
      from: windows[0]!,
      to: windows.at(-1)! + WINDOW_MS[window],
      limit: monitors.length * windows.length,
      ...(now === undefined ? {} : { finalBefore: finalBefore(kind, now) })
    })
  return crowdCountTable(aggregates, zoneOfSensor, zones, windows)
}

/** What anyone may see: the finest public window, counts below k suppressed (privacy rule 8). */
export async function publicZoneCounts (registry: Registry, store: TimeSeriesStore, kind: KindDefinition, windows: readonly number[], now?: number): Promise<PublishedTable> {
  const policy = countsPolicy(kind)
  return suppressSmallCounts(await zoneCounts(registry, store, kind, policy.minPublicWindow, windows, 'public', now), policy.k)
}

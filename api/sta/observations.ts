import { SensorstadError } from '../../core/errors.js'
import { countsPrivacySchema } from '../../core/kind.js'
import { WINDOW_MS, windowStart } from '../../core/windows.js'
import type { AppDeps } from '../deps.js'
import { publicZoneCounts } from '../zone-counts.js'
import type { Entity } from './entity-sets.js'

/**
 * The Observations of some Datastreams in a time range, read from the stores with the same
 * rules as the REST routes: raw readings of public fixed sensors (/v1/observations), the
 * public zone table of crowd counts (/v1/crowd: 15-minute windows, lagged, small counts
 * withheld; a withheld or empty window has no Observation), and grid cells per hour where
 * enough rides and devices contributed (/v1/grid).
 *
 * `asOf` pins "now" for a whole paging sequence so page two sees the same rows as page one;
 * it is never later than the real clock (the cursor carrying it can be forged).
 */
export interface ObservationRange { from: number, to: number }

/** Rows read from the stores per request at most; more asks the client to narrow the range. */
export const MAX_OBSERVATION_ROWS = 100_000
/** Zone windows per request at most (15-minute windows: about 104 days), as /v1/crowd. */
const MAX_WINDOWS = 10_000
const HOUR_MS = WINDOW_MS['1h']

export async function observationsOf (deps: AppDeps, datastreams: readonly Entity[], range: ObservationRange, asOf: number): Promise<Entity[]> {
  const out: Entity[] = []
  const groups = new Map<string, Entity[]>()
  for (const ds of datastreams) {
    const s = ds.source
    if (s === undefined) continue
    const key = `${s.mode}\u0000${s.kind}\u0000${s.mode === 'zone' ? '' : s.field}`
    groups.set(key, [...(groups.get(key) ?? []), ds])
  }
  for (const group of groups.values()) {
    const mode = group[0]!.source!.mode
    const rows = mode === 'readings'
      ? await readings(deps, group, range, asOf)
      : mode === 'zone' ? await zoneCounts(deps, group, range, asOf) : await gridCells(deps, group, range, asOf)
    out.push(...rows)
    if (out.length > MAX_OBSERVATION_ROWS) tooMany()
  }
  return out
}

function tooMany (): never {
  throw new SensorstadError('API_ERR_VALIDATION', `More than ${MAX_OBSERVATION_ROWS} Observations in the time range; narrow it, e.g. $filter=phenomenonTime ge 2026-11-30T00:00:00Z and phenomenonTime lt 2026-12-01T00:00:00Z`, '$filter')
}

const iso = (ms: number) => new Date(ms).toISOString()

function observation (ds: Entity, key: string, start: number, end: number | undefined, result: number, extra: Record<string, unknown> = {}, feature = ds.links.FeatureOfInterest): Entity {
  return {
    set: 'Observations',
    id: `${ds.id}:${key}`,
    props: {
      phenomenonTime: end === undefined ? iso(start) : `${iso(start)}/${iso(end)}`,
      resultTime: iso(end ?? start),
      result,
      ...extra
    },
    links: { Datastream: [ds.id], ...(feature !== undefined ? { FeatureOfInterest: feature } : {}) }
  }
}

async function readings (deps: AppDeps, group: Entity[], range: ObservationRange, asOf: number): Promise<Entity[]> {
  const { kind, field } = group[0]!.source!
  const bySensor = new Map(group.map((ds) => [ds.source!.mode === 'readings' ? ds.source!.sensorId : '', ds]))
  const to = Math.min(range.to, asOf + 1)
  if (range.from >= to) return []
  const rows = await deps.store.readings({ kind, field, sensorIds: [...bySensor.keys()], from: range.from, to, limit: MAX_OBSERVATION_ROWS + 1 })
  if (rows.length > MAX_OBSERVATION_ROWS) tooMany()
  return rows.flatMap((r) => {
    const ds = bySensor.get(r.sensorId)
    return ds === undefined ? [] : [observation(ds, String(r.time), r.time, undefined, r.value)]
  })
}

async function zoneCounts (deps: AppDeps, group: Entity[], range: ObservationRange, asOf: number): Promise<Entity[]> {
  const { registry, store } = deps
  const kindId = group[0]!.source!.kind
  const kind = registry.kinds.get(kindId)
  if (kind === undefined) return []
  // The same table /v1/crowd publishes, built the same way: every zone and every public
  // monitor, because suppression looks at a whole window row; one zone is picked afterwards.
  const policy = kind.privacy.counts ?? countsPrivacySchema.parse({ field: 'peopleCount' })
  const size = WINDOW_MS[policy.minPublicWindow]
  const publishedEnd = windowStart(policy.minPublicWindow, asOf - policy.publicLagS * 1000)
  const from = windowStart(policy.minPublicWindow, range.from)
  const to = Math.min(range.to, publishedEnd)
  const count = Math.max(0, Math.ceil((to - from) / size))
  if (count > MAX_WINDOWS) {
    throw new SensorstadError('API_ERR_VALIDATION', `At most ${MAX_WINDOWS} windows of ${policy.minPublicWindow} per request; narrow the range with $filter on phenomenonTime`, '$filter')
  }
  if (count === 0) return []
  const windows = Array.from({ length: count }, (_, i) => from + i * size)
  const table = await publicZoneCounts(registry, store, kind, windows)
  const out: Entity[] = []
  for (const ds of group) {
    if (ds.source?.mode !== 'zone' || ds.source.field !== policy.field) continue
    const z = table.zones.indexOf(ds.source.zoneId)
    table.windows.forEach((start, w) => {
      const value = table.cells[w]?.[z] ?? null
      if (value === null || table.suppressed[w]?.[z] === true) return
      out.push(observation(ds, String(start), start, start + size, value))
    })
  }
  return out
}

async function gridCells (deps: AppDeps, group: Entity[], range: ObservationRange, asOf: number): Promise<Entity[]> {
  const { kind: kindId, field } = group[0]!.source!
  const rules = deps.registry.kinds.get(kindId)?.privacy.grid
  if (rules === undefined) return []
  // Closed hours only: a running hour could still cross the thresholds between two pages.
  const from = windowStart('1h', range.from)
  const to = Math.min(range.to, windowStart('1h', asOf))
  if (from >= to) return []
  const rows = await deps.grid.cellAggregates({ kind: kindId, field, from, to, minRides: rules.minRides, minDevices: rules.minDevices, limit: MAX_OBSERVATION_ROWS + 1 })
  if (rows.length > MAX_OBSERVATION_ROWS) tooMany()
  const ds = group[0]!
  return rows.filter((r) => r.count > 0).map((r) => observation(ds, `${r.cell}:${r.start}`, r.start, r.start + HOUR_MS, r.sum / r.count, { parameters: { min: r.min, max: r.max, count: r.count } }, [r.cell]))
}

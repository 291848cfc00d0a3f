import { dayOf, parseDay, type DayTable, type ExportColumn, type ExportValue } from '../../core/exports.js'
import { countsPrivacySchema, type KindDefinition } from '../../core/kind.js'
import type { GridStore } from '../../core/ports/grid-store.js'
import type { TimeSeriesStore } from '../../core/ports/time-series-store.js'
import type { Reading } from '../../core/reading.js'
import { WINDOW_MS } from '../../core/windows.js'
import type { Registry } from '../../registry/registry.js'
import { openFields, publicSensors } from '../open-data.js'
import { publicZoneCounts } from '../zone-counts.js'

/**
 * The public rows of one kind for one UTC day, for the day files (`/v1/exports`). Each kind
 * is published exactly as its anonymous API answer for that day, so a file can never hold
 * more than a request without a token could get (README, "Who may see what"):
 * - counts of people (crowd): per zone and finest public window, small counts suppressed,
 *   as `/v1/crowd` answers; never per monitor;
 * - mobile kinds: per grid cell and hour above the ride and device thresholds, as `/v1/grid`;
 *   nothing per ride or device;
 * - every other kind: raw readings of the open fields of public sensors, as `/v1/observations`.
 */
export interface PublicDayDeps {
  registry: Registry
  store: TimeSeriesStore
  grid: GridStore
}

const DAY_MS = 86_400_000
/** Rows per store query; more are fetched by key, never cut off. */
const PAGE = 10_000
/** Cell-hours of one hour (a 100 m grid over the city, every field) are far fewer than this. */
const MAX_CELLS_PER_HOUR = 1_000_000

/**
 * When a day's public answer can no longer change: the end of the day plus the kind's allowed
 * lateness (a reading may still arrive until then), plus the public lag of counts and the gap
 * that ends a ride (whose cells are stored only once it ends). Before this a file would miss
 * what arrives later, and the file can never be corrected.
 */
export function dayFinalAt (kind: KindDefinition, day: string): number {
  const start = parseDay(day)
  if (start === undefined) throw new RangeError(`not a day: ${day}`)
  return start + DAY_MS + kind.allowedLatenessS * 1000 + (kind.privacy.counts?.publicLagS ?? 0) * 1000 + (kind.privacy.rides?.gapS ?? 0) * 1000
}

/** The newest day of `kind` that is final at `now`. */
export function lastFinalDay (kind: KindDefinition, now: number): string {
  let start = Math.floor(now / DAY_MS) * DAY_MS
  while (dayFinalAt(kind, dayOf(start)) > now) start -= DAY_MS
  return dayOf(start)
}

/** Undefined when the kind publishes nothing per day (a mobile kind without grid rules). */
export async function publicDayTable (deps: PublicDayDeps, kindId: string, day: string): Promise<DayTable | undefined> {
  const kind = deps.registry.kinds.get(kindId)
  if (kind === undefined) throw new RangeError(`no kind ${kindId}`)
  const from = parseDay(day)
  if (from === undefined) throw new RangeError(`not a day: ${day}`)
  const to = from + DAY_MS
  if (kind.privacy.counts !== undefined) return crowdDay(deps, kind, day, from, to)
  if (kind.placement === 'mobile') return kind.privacy.grid === undefined ? undefined : gridDay(deps, kind, day, from, to)
  return readingsDay(deps, kind, day, from, to)
}

function variables (kind: KindDefinition): DayTable['variables'] {
  return Object.entries(kind.fields)
    .filter(([, spec]) => spec.privacy === 'open')
    .map(([name, spec]) => ({ name, unit: spec.unit, description: spec.description }))
}

const READING_COLUMNS: readonly ExportColumn[] = [
  { name: 'sensorId', datatype: 'string', required: true, description: 'Sensor id in the public register (/v1/sensors)' },
  { name: 'kind', datatype: 'string', required: true, description: 'Sensor kind (/v1/kinds)' },
  { name: 'field', datatype: 'string', required: true, description: 'Measured quantity' },
  { name: 'unit', datatype: 'string', required: true, description: 'Unit of value (SenML, RFC 8428 section 12.1)' },
  { name: 'time', datatype: 'dateTime', required: true, description: 'When the sensor measured, UTC' },
  { name: 'value', datatype: 'double', required: true, description: 'The reading as measured, in the unit of column unit' }
]

async function readingsDay (deps: PublicDayDeps, kind: KindDefinition, day: string, from: number, to: number): Promise<DayTable> {
  const sensors = publicSensors(deps.registry, { kind: kind.id })
  const rows: Array<Record<string, ExportValue>> = []
  for (const { field, unit } of openFields(deps.registry.kinds, sensors, undefined)) {
    const ids = sensors.filter((s) => s.kind === kind.id).map((s) => s.id)
    for (const r of await allReadings(deps.store, kind.id, field, ids, from, to)) {
      rows.push({ sensorId: r.sensorId, kind: r.kind, field: r.field, unit, time: r.time, value: r.value })
    }
  }
  // The order /v1/observations answers in.
  rows.sort((a, b) => compare(a.sensorId as string, b.sensorId as string) || compare(a.field as string, b.field as string) || (a.time as number) - (b.time as number))
  return {
    kind: kind.id,
    day,
    title: kind.title,
    description: `Readings of the open fields of every public ${kind.id} sensor on ${day} (UTC), as measured. ${kind.description}`,
    columns: READING_COLUMNS,
    rows,
    primaryKey: ['sensorId', 'field', 'time'],
    variables: variables(kind)
  }
}

/**
 * Every reading of one field of `sensorIds` in range. The store answers ordered by sensor
 * and time, so a full page is continued from its last key: the sensors before the last one
 * are complete, the last one is read on by time, then the rest.
 */
async function allReadings (store: TimeSeriesStore, kind: string, field: string, sensorIds: readonly string[], from: number, to: number): Promise<Reading[]> {
  const out: Reading[] = []
  let ids = [...sensorIds].sort(compare)
  while (ids.length > 0) {
    const page = await store.readings({ kind, field, sensorIds: ids, from, to, limit: PAGE })
    out.push(...page)
    if (page.length < PAGE) break
    const last = page[page.length - 1]!
    for (let after = last.time + 1; ;) {
      const more = await store.readings({ kind, field, sensorIds: [last.sensorId], from: after, to, limit: PAGE })
      out.push(...more)
      if (more.length < PAGE) break
      after = more[more.length - 1]!.time + 1
    }
    ids = ids.filter((id) => compare(id, last.sensorId) > 0)
  }
  return out
}

const CROWD_COLUMNS: readonly ExportColumn[] = [
  { name: 'zone', datatype: 'string', required: true, description: 'Zone id (/v1/zones)' },
  { name: 'start', datatype: 'dateTime', required: true, description: 'Start of the window, UTC' },
  { name: 'window', datatype: 'string', required: true, description: 'Window length' },
  { name: 'count', datatype: 'integer', required: false, unit: 'count', description: 'People in the zone: the sum over its crowd monitors of each one\'s mean count in the window, rounded. Empty when suppressed or without data' },
  { name: 'suppressed', datatype: 'boolean', required: true, description: 'Withheld to protect small counts (privacy rule 8)' }
]

/** The anonymous `/v1/crowd` answer for the day at the finest public window. */
async function crowdDay (deps: PublicDayDeps, kind: KindDefinition, day: string, from: number, to: number): Promise<DayTable> {
  // As /v1/crowd: a counts kind without a policy still gets the defaults, never exact counts.
  const policy = kind.privacy.counts ?? countsPrivacySchema.parse({ field: 'peopleCount' })
  const window = policy.minPublicWindow
  const windows = Array.from({ length: DAY_MS / WINDOW_MS[window] }, (_, i) => from + i * WINDOW_MS[window])
  const table = await publicZoneCounts(deps.registry, deps.store, kind, windows)
  const rows: Array<Record<string, ExportValue>> = []
  table.zones.forEach((zone, z) => {
    table.windows.forEach((start, w) => {
      rows.push({ zone, start, window, count: table.cells[w]?.[z] ?? null, suppressed: table.suppressed[w]?.[z] ?? false })
    })
  })
  return {
    kind: kind.id,
    day,
    title: `${kind.title}: people per zone`,
    description: `People per zone and ${window} window on ${day} (UTC). Counts below ${policy.k} are withheld, with complementary suppression so a withheld count cannot be recovered from the others (privacy rule 8).`,
    columns: CROWD_COLUMNS,
    rows,
    primaryKey: ['zone', 'start'],
    variables: [{ name: 'count', unit: 'count', description: 'People in the zone' }]
  }
}

const GRID_COLUMNS: readonly ExportColumn[] = [
  { name: 'cell', datatype: 'string', required: true, description: 'Cell of the Dutch national grid (RD New, EPSG:28992), e.g. rd100m-136900-455800: size, then the lower-left corner in metres' },
  { name: 'start', datatype: 'dateTime', required: true, description: 'Start of the hour, UTC' },
  { name: 'field', datatype: 'string', required: true, description: 'Measured quantity' },
  { name: 'unit', datatype: 'string', required: true, description: 'Unit of mean, min and max (SenML, RFC 8428 section 12.1)' },
  { name: 'mean', datatype: 'double', required: true, description: 'Mean of the measurements in the cell and hour, in the unit of column unit' },
  { name: 'min', datatype: 'double', required: true, description: 'Smallest measurement, in the unit of column unit' },
  { name: 'max', datatype: 'double', required: true, description: 'Largest measurement, in the unit of column unit' },
  { name: 'count', datatype: 'integer', required: true, unit: 'count', description: 'Measurements in the cell and hour' }
]

/** The `/v1/grid` answer for the day: cell-hours that passed the ride and device thresholds. */
async function gridDay (deps: PublicDayDeps, kind: KindDefinition, day: string, from: number, to: number): Promise<DayTable> {
  const rules = kind.privacy.grid!
  const rows: Array<Record<string, ExportValue>> = []
  // Hour by hour keeps each answer bounded; the store orders by start, so rows stay in order.
  for (let hour = from; hour < to; hour += WINDOW_MS['1h']) {
    const cells = await deps.grid.cellAggregates({ kind: kind.id, from: hour, to: hour + WINDOW_MS['1h'], minRides: rules.minRides, minDevices: rules.minDevices, limit: MAX_CELLS_PER_HOUR })
    if (cells.length >= MAX_CELLS_PER_HOUR) throw new RangeError(`more than ${MAX_CELLS_PER_HOUR} cell-hours of ${kind.id} at ${new Date(hour).toISOString()}`)
    for (const c of cells) {
      const spec = kind.fields[c.field]
      if (spec?.privacy !== 'open') continue
      rows.push({ cell: c.cell, start: c.start, field: c.field, unit: spec.unit, mean: c.sum / c.count, min: c.min, max: c.max, count: c.count })
    }
  }
  return {
    kind: kind.id,
    day,
    title: `${kind.title}: per grid cell and hour`,
    description: `Measurements of mobile ${kind.id} sensors on ${day} (UTC), per ${rules.cellM} m grid cell and hour, published only where at least ${rules.minRides} rides of ${rules.minDevices} devices contributed (privacy rule 6). Nothing per ride or device.`,
    columns: GRID_COLUMNS,
    rows,
    primaryKey: ['cell', 'start', 'field'],
    variables: variables(kind)
  }
}

function compare (a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

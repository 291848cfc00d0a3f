import type { AggregateQuery, TimeSeriesStore } from '../../../core/ports/time-series-store.js'
import { WINDOW_MS, windowStart } from '../../../core/windows.js'
import { finalBefore } from '../../../api/final-windows.js'
import { loadKinds } from '../../../registry/kind-catalog.js'
import { CROWD_FIELD, DAY_MS, type Fleet } from './fleet.js'

const KINDS = loadKinds()
/** What the API passes with `source: auto` (api/final-windows.ts): final windows come stored. */
const final = (kind: string, end: number, source?: AggregateQuery['source']): Partial<AggregateQuery> =>
  source === undefined || source === 'auto' ? { finalBefore: finalBefore(KINDS.get(kind)!, end) } : {}

/**
 * The queries of issue #8, item 3, as the API asks them of the store port: with the kind,
 * the field and the list of sensors (api/routes/observations.ts passes every public sensor of
 * the kind), over ranges fixed relative to the newest minute of the data, so a store with
 * more history answers the same rows. `run` returns the rows (or windows) answered.
 */
export interface BenchQuery {
  name: string
  /** What it asks, for the report. */
  description: string
  /** The path it takes through the store, for the report. */
  path: string
  /** Issue #8's target for the median on 10 M readings, ms; none for the extra queries. */
  targetMs?: number
  run: () => Promise<number>
}

const HOUR_MS = WINDOW_MS['1h']

/** The whole answer, never a page: the benchmark times the query, not the API's page cap. */
const ALL = Number.MAX_SAFE_INTEGER

export interface QueryRanges {
  /** The last whole UTC day before `end`. */
  day: { from: number, to: number }
  /** The 30 days up to the last whole hour. */
  month: { from: number, to: number }
  /**
   * The 7 days (the SensorThings default horizon) up to an hour before the last whole hour:
   * crowd windows are published 15 minutes late, so a page asked later answers the same.
   */
  week: { from: number, to: number }
}

export function queryRanges (end: number): QueryRanges {
  const dayTo = windowStart('1d', end)
  const monthTo = windowStart('1h', end)
  const weekTo = monthTo - HOUR_MS
  return { day: { from: dayTo - DAY_MS, to: dayTo }, month: { from: monthTo - 30 * DAY_MS, to: monthTo }, week: { from: weekTo - 7 * DAY_MS, to: weekTo } }
}

export function sensorDayQuery (fleet: Fleet, end: number, source?: AggregateQuery['source']): AggregateQuery {
  const crowd = fleet.crowd[0]!
  return { kind: crowd.kind, field: CROWD_FIELD, sensorIds: [crowd.id], window: '1m', ...queryRanges(end).day, limit: ALL, ...final(crowd.kind, end, source), ...(source === undefined ? {} : { source }) }
}

export function kindMonthQuery (fleet: Fleet, end: number, source?: AggregateQuery['source']): AggregateQuery {
  return { kind: 'wastebin', field: 'fillingLevel', sensorIds: fleet.bins.map((b) => b.id), window: '1h', ...queryRanges(end).month, limit: ALL, ...final('wastebin', end, source), ...(source === undefined ? {} : { source }) }
}

const AUTO_PATH = 'aggregates(source auto, finalBefore as the API passes it): stored windows (table `aggregates`), plus windows computed from raw readings only after finalBefore, where none is stored'

export function storeQueries (store: TimeSeriesStore, fleet: Fleet, end: number): BenchQuery[] {
  const rows = async (p: Promise<unknown[]>): Promise<number> => (await p).length
  return [
    {
      name: 'sensor-day-1m',
      description: `one crowd monitor (${fleet.crowd[0]!.id}), ${CROWD_FIELD}, the last whole UTC day at 1-minute windows`,
      path: AUTO_PATH,
      targetMs: 20,
      run: () => rows(store.aggregates(sensorDayQuery(fleet, end)))
    },
    {
      name: 'kind-30d-1h',
      description: `all ${fleet.bins.length} waste bins, fillingLevel, 30 days to the last whole hour at 1-hour windows`,
      path: AUTO_PATH,
      targetMs: 500,
      run: () => rows(store.aggregates(kindMonthQuery(fleet, end)))
    },
    {
      name: 'latest-all',
      description: `the newest reading of every series (${fleet.series})`,
      path: 'latest(): in memory (DuckDB), a `latest` measurement of one point per series (InfluxDB)',
      targetMs: 50,
      run: () => rows(store.latest({}))
    },
    {
      name: 'sensor-day-1m-stored',
      description: 'sensor-day-1m with source stored: the stored windows alone (what auto costs on top)',
      path: 'aggregates(source stored): table `aggregates` only',
      run: () => rows(store.aggregates(sensorDayQuery(fleet, end, 'stored')))
    },
    {
      name: 'kind-30d-1h-stored',
      description: 'kind-30d-1h with source stored',
      path: 'aggregates(source stored): table `aggregates` only',
      run: () => rows(store.aggregates(kindMonthQuery(fleet, end, 'stored')))
    }
  ]
}

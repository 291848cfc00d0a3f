import { describe, expect, it } from 'vitest'
import type { Aggregate, Reading } from '../../core/reading.js'
import { WINDOW_MS, WINDOWS, windowStart } from '../../core/windows.js'
import { rollup } from '../../ingest/rollup.js'
import { benchDuckDb, benchInflux, type BackendResult, type BenchContext } from '../../infra/bench/query/backends.js'
import { dayChunks, planDataset, type Dataset } from '../../infra/bench/query/dataset.js'
import { buildFleet, CROWD_FIELD, DAY_MS } from '../../infra/bench/query/fleet.js'
import { queryRanges } from '../../infra/bench/query/queries.js'
import { formatQueryReport } from '../../infra/bench/query/report.js'
import { checkTargets } from '../../infra/bench/query/targets.js'
import { loadKinds } from '../../registry/kind-catalog.js'
import { MemoryTimeSeriesStore } from '../../store/memory-time-series-store.js'
import { hasInfluxd, requireInfluxdInCi } from '../helpers/influxd.js'

// Correctness of the query benchmark (infra/bench/query/), not its timings: the generated
// aggregates are what the rollup job would have stored, and every benchmark query, through
// the real platform and store, answers the rows the loaded data holds.

const fleet = buildFleet(20)
const end = Math.floor(Date.now() / 60_000) * 60_000
const SIZES: [number, number] = [2_000, 5_000]
const ALL = Number.MAX_SAFE_INTEGER

const readingsOf = (dataset: Dataset): Reading[] => [...dayChunks(dataset)].flatMap((c) => c.readings)
const distinct = (keys: string[]): number => new Set(keys).size
const byKey = (a: Aggregate, b: Aggregate): number => a.sensorId.localeCompare(b.sensorId) || a.field.localeCompare(b.field) || a.start - b.start

/** What each benchmark query must answer on this data, worked out from the readings alone. */
function expectedRows (dataset: Dataset): Record<string, number> {
  const readings = readingsOf(dataset)
  const { day, month, week } = queryRanges(dataset.end)
  const crowd = readings.filter((r) => r.sensorId === fleet.crowd[0]!.id && r.field === CROWD_FIELD)
  const minutes = distinct(crowd.filter((r) => r.time >= day.from && r.time < day.to).map((r) => String(windowStart('1m', r.time))))
  const hours = distinct(readings.filter((r) => r.kind === 'wastebin' && r.field === 'fillingLevel' && windowStart('1h', r.time) >= month.from && windowStart('1h', r.time) < month.to)
    .map((r) => `${r.sensorId} ${windowStart('1h', r.time)}`))
  const binPage = readings.filter((r) => r.sensorId === fleet.bins[0]!.id && r.field === 'fillingLevel' && r.time >= month.from && r.time < month.to && r.value > 50).length
  // The zone's count per 15 minutes: the sum over its monitors of each one's mean, rounded.
  const windows = new Map<number, Map<string, { sum: number, n: number }>>()
  for (const r of readings.filter((r) => r.kind === 'crowd')) {
    const start = windowStart('15m', r.time)
    const monitors = windows.get(start) ?? new Map<string, { sum: number, n: number }>()
    const m = monitors.get(r.sensorId) ?? { sum: 0, n: 0 }
    monitors.set(r.sensorId, { sum: m.sum + r.value, n: m.n + 1 })
    windows.set(start, monitors)
  }
  const zonePage = [...windows].filter(([start, monitors]) => start >= week.from && start + WINDOW_MS['15m'] <= week.to &&
    Math.round([...monitors.values()].reduce((s, m) => s + m.sum / m.n, 0)) > 50).length
  return {
    'sensor-day-1m': minutes,
    'kind-30d-1h': hours,
    'latest-all': fleet.series,
    'sensor-day-1m-stored': minutes,
    'kind-30d-1h-stored': hours,
    'sta-bin-page': Math.min(100, binPage),
    'sta-zone-page': Math.min(100, zonePage)
  }
}

function context (): BenchContext {
  return { fleet, sizes: SIZES, end, batchSize: 1_000, budget: { warmup: 0, minRuns: 2, maxRuns: 2, maxMs: 0 }, progress: () => {} }
}

function expectRightRows (result: BackendResult): void {
  expect(result.sizes.map((s) => s.readings)).toEqual(SIZES)
  for (const size of result.sizes) {
    const dataset = planDataset(fleet, size.readings, end)
    expect(size.load.readings).toBe(size.readings)
    expect(size.load.aggregates).toBe([...dayChunks(dataset)].reduce((n, c) => n + c.aggregates.length, 0))
    expect(Object.fromEntries(size.queries.map((q) => [q.name, q.rows]))).toEqual(expectedRows(dataset))
    for (const q of size.queries) expect(q.runs).toBe(2)
  }
  const checks = checkTargets(result)
  expect(checks.map((c) => c.query)).toEqual(result.sizes[1]!.queries.map((q) => q.name))
  expect(checks.filter((c) => c.targetMs !== undefined).map((c) => c.query)).toEqual(['sensor-day-1m', 'kind-30d-1h', 'latest-all'])
}

describe('query bench data', () => {
  it('holds exactly the readings asked for, in time order, ending before `end`', () => {
    const dataset = planDataset(fleet, 5_000, end)
    const readings = readingsOf(dataset)
    expect(readings).toHaveLength(5_000)
    expect(readings.every((r, i) => i === 0 || r.time >= readings[i - 1]!.time)).toBe(true)
    expect(readings.at(-1)!.time).toBeLessThan(end)
    expect(readings.at(-1)!.time).toBeGreaterThanOrEqual(end - 60_000)
    expect(distinct(readings.map((r) => `${r.sensorId} ${r.field} ${r.time}`))).toBe(5_000)
  })

  it('generates the aggregates the rollup job stores from the same readings', async () => {
    const dataset = planDataset(fleet, 4_000, end)
    const chunks = [...dayChunks(dataset)]
    const store = new MemoryTimeSeriesStore()
    await store.writeReadings(chunks.flatMap((c) => c.readings))
    // The job as the scheduler runs it, once per allowed lateness of each kind from the
    // first reading to `end`, so every window is computed at least once and closed.
    for (const kind of loadKinds().values()) {
      if (!['crowd', 'wastebin'].includes(kind.id)) continue
      const step = kind.allowedLatenessS * 1000
      for (let now = dataset.firstMinute * 60_000; now < end + step; now += step) await rollup(store, [kind], Math.min(now, end))
    }
    const generated = chunks.flatMap((c) => c.aggregates)
    for (const window of WINDOWS) {
      const stored = await store.aggregates({ window, from: 0, to: end + DAY_MS, source: 'stored', limit: ALL })
      expect(stored.length).toBeGreaterThan(0)
      expect(generated.filter((a) => a.window === window).sort(byKey)).toEqual([...stored].sort(byKey))
    }
  })
})

describe('query bench on DuckDB', () => {
  it('answers every benchmark query with the rows the data holds, through the platform', async () => {
    const result = await benchDuckDb(context())
    expectRightRows(result)
    expect(result.sizes.every((s) => (s.diskBytes ?? 0) > 0)).toBe(true)
    const report = formatQueryReport({ startedAt: new Date(end).toISOString(), seconds: 1, quick: true, machine: { cpus: 2, model: undefined, node: process.version, loadavgBefore: [0, 0, 0], loadavgAfter: [0, 0, 0] }, sensors: 20, backends: [result], targets: checkTargets(result), notes: [] })
    expect(report).toMatch(/sensor-day-1m .* (pass|MISS)/)
  }, 120_000)
})

describe('query bench on InfluxDB', () => {
  requireInfluxdInCi()
  it.skipIf(!hasInfluxd)('answers every benchmark query with the rows the data holds, through the platform', async () => {
    const result = await benchInflux(context())
    expectRightRows(result)
    expect(result.sizes.map((s) => s.rejectedPoints)).toEqual([0, 0])
  }, 120_000)
})

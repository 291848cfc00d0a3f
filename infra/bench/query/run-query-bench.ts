import { cpus, loadavg } from 'node:os'
import { hasInfluxd } from '../../../test/helpers/influxd.js'
import { buildFleet } from './fleet.js'
import { benchDuckDb, benchInflux, type BackendResult, type BenchContext } from './backends.js'
import { checkTargets, type TargetCheck } from './targets.js'
import { DEFAULT_BUDGET, type TimingBudget } from './timing.js'

/**
 * The query benchmarks of issue #8, item 3: the same queries on a store holding 10 million
 * readings of 1,000 sensors and on one holding 1 million (same sensors, same end, a tenth
 * of the history), first on the embedded DuckDB store, then on InfluxDB when `influxd` is
 * installed. `--quick`: 1 million against 100,000 readings of 100 sensors (same history
 * lengths, a tenth of the fleet), DuckDB only. Everything is written under a temporary folder
 * and removed.
 *
 * InfluxDB gets the quick sizes: loading is dominated by the aggregates (2.2 rows per
 * reading, see dataset.ts), and 10 M readings with their 22 M aggregates take about 4 more
 * minutes to write into influxd here, which with the DuckDB half would pass 10 minutes.
 */
export interface QueryBenchOptions {
  quick: boolean
  progress: (line: string) => void
  /** Run the InfluxDB half when influxd is installed (default true). */
  influx?: boolean
}

export interface QueryBenchResult {
  startedAt: string
  seconds: number
  quick: boolean
  machine: { cpus: number, model: string | undefined, node: string, loadavgBefore: number[], loadavgAfter: number[] }
  sensors: number
  backends: BackendResult[]
  targets: TargetCheck[]
  notes: string[]
}

interface Plan {
  sensors: number
  /** Readings per store, smallest first. */
  sizes: [number, number]
  batchSize: number
  budget: TimingBudget
  /** InfluxDB's own fleet and sizes; none: not run. */
  influx?: { sensors: number, sizes: [number, number] }
}

const FULL: Plan = {
  sensors: 1_000,
  sizes: [1_000_000, 10_000_000],
  batchSize: 50_000,
  budget: DEFAULT_BUDGET,
  influx: { sensors: 100, sizes: [100_000, 1_000_000] }
}

const QUICK: Plan = {
  sensors: 100,
  sizes: [100_000, 1_000_000],
  batchSize: 25_000,
  budget: { warmup: 1, minRuns: 5, maxRuns: 20, maxMs: 1_500 }
}

export async function runQueryBench (options: QueryBenchOptions): Promise<QueryBenchResult> {
  const started = new Date()
  const loadavgBefore = loadavg()
  const plan = options.quick ? QUICK : FULL
  const end = Math.floor(started.getTime() / 60_000) * 60_000
  const notes: string[] = []
  const ctx = (sensors: number, sizes: [number, number]): BenchContext => ({ fleet: buildFleet(sensors), sizes, end, batchSize: plan.batchSize, budget: plan.budget, progress: options.progress })

  const backends: BackendResult[] = [await benchDuckDb(ctx(plan.sensors, plan.sizes))]
  if (plan.influx === undefined) {
    notes.push('InfluxDB not run in quick mode (it would double the run); run without --quick.')
  } else if (options.influx === false) {
    notes.push('InfluxDB not run (--no-influx).')
  } else if (!hasInfluxd) {
    notes.push('InfluxDB not run: influxd is not installed (Debian package influxdb).')
  } else {
    const influx = await benchInflux(ctx(plan.influx.sensors, plan.influx.sizes))
    backends.push(influx)
    const largest = influx.sizes.at(-1)
    const estimate = largest === undefined ? undefined : Math.round((largest.load.seconds * plan.sizes[1]) / largest.readings / 60)
    notes.push(`InfluxDB ran at ${plan.influx.sizes.map((n) => n.toLocaleString('en')).join(' and ')} readings of ${plan.influx.sensors} sensors, not ${plan.sizes[1].toLocaleString('en')}: at the rate measured here, loading that many with their aggregates would take about ${estimate ?? '?'} minutes more. Raw points older than a kind's retention policy (crowd 7 days, wastebin 90) are refused by influxd, as in production.`)
  }
  return {
    startedAt: started.toISOString(),
    seconds: Math.round((Date.now() - started.getTime()) / 1000),
    quick: options.quick,
    machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version, loadavgBefore, loadavgAfter: loadavg() },
    sensors: plan.sensors,
    backends,
    targets: backends.flatMap(checkTargets),
    notes
  }
}

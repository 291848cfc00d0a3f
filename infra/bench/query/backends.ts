import { copyFile, mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TimeSeriesStore } from '../../../core/ports/time-series-store.js'
import { loadKinds } from '../../../registry/kind-catalog.js'
import { DuckDbTimeSeriesStore } from '../../../store/duckdb-time-series-store.js'
import { InfluxTimeSeriesStore } from '../../../store/influx-time-series-store.js'
import { startInfluxd } from '../../../test/helpers/influxd.js'
import { historyDays, planDataset } from './dataset.js'
import { describeFleet, type Fleet } from './fleet.js'
import { fmt, loadDataset, type LoadResult } from './load.js'
import { storeQueries, type BenchQuery } from './queries.js'
import { seedRegistry, staQueries, startBenchPlatform } from './sta.js'
import { timeQuery, type Timing, type TimingBudget } from './timing.js'

/**
 * One backend, two store sizes. Per size: the register is copied in, the store is bulk-loaded
 * through its port and closed, then the platform starts on the same data (as after a
 * restart) and every query is timed through `platform.store` and over HTTP.
 */
export interface BenchContext {
  fleet: Fleet
  sizes: [number, number]
  end: number
  batchSize: number
  budget: TimingBudget
  progress: (line: string) => void
}

export interface QueryResult extends Timing {
  name: string
  description: string
  path: string
  targetMs?: number
}

export interface SizeResult {
  readings: number
  historyDays: number
  load: LoadResult
  /** Seconds to close the store after loading (DuckDB checkpoints its WAL into the file). */
  closeSeconds: number
  diskBytes?: number
  /** Points the server refused (InfluxDB: older than a retention policy's duration). */
  rejectedPoints?: number
  queries: QueryResult[]
}

export interface BackendResult {
  store: 'duckdb' | 'influxdb'
  sensors: number
  fleet: string
  sizes: SizeResult[]
}

interface SizeHooks {
  label: string
  dataDir: string
  /** A registry.duckdb holding the fleet, copied into dataDir. */
  register: string
  open: () => Promise<TimeSeriesStore>
  platformEnv: Record<string, string>
  diskBytes?: () => Promise<number>
  rejected?: () => number
}

async function benchSize (ctx: BenchContext, readings: number, hooks: SizeHooks): Promise<SizeResult> {
  const dataset = planDataset(ctx.fleet, readings, ctx.end)
  await copyFile(hooks.register, join(hooks.dataDir, 'registry.duckdb'))
  const store = await hooks.open()
  let load: LoadResult
  try {
    load = await loadDataset(store, dataset, { batchSize: ctx.batchSize, label: `${hooks.label} load`, progress: ctx.progress })
  } catch (err) {
    await store.close()
    throw err
  }
  const closing = performance.now()
  await store.close()
  const closeSeconds = (performance.now() - closing) / 1000
  const diskBytes = await hooks.diskBytes?.()
  ctx.progress(`${hooks.label}: starting the platform`)
  const platform = await startBenchPlatform(hooks.dataDir, hooks.platformEnv)
  const queries: QueryResult[] = []
  try {
    const all: BenchQuery[] = [...storeQueries(platform.store, ctx.fleet, dataset.end), ...staQueries(platform, ctx.fleet, dataset.end)]
    for (const q of all) {
      ctx.progress(`${hooks.label}: timing ${q.name}`)
      const timing = await timeQuery(q.name, q.run, ctx.budget)
      queries.push({ name: q.name, description: q.description, path: q.path, ...(q.targetMs === undefined ? {} : { targetMs: q.targetMs }), ...timing })
      ctx.progress(`${hooks.label}: ${q.name} median ${timing.medianMs} ms, p95 ${timing.p95Ms} ms over ${timing.runs} runs, ${fmt(timing.rows)} rows`)
    }
  } finally {
    await platform.close()
  }
  return {
    readings,
    historyDays: Math.round(historyDays(dataset) * 100) / 100,
    load,
    closeSeconds: Math.round(closeSeconds * 100) / 100,
    ...(diskBytes === undefined ? {} : { diskBytes }),
    ...(hooks.rejected === undefined ? {} : { rejectedPoints: hooks.rejected() }),
    queries
  }
}

/**
 * The fleet's register, written once per backend through the registry's store port (1,000
 * sensors take about 10 s of one durable write each) and copied for every size.
 */
async function withRegister<T> (ctx: BenchContext, fn: (register: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'sensorstad-query-bench-register-'))
  try {
    ctx.progress(`writing the register of ${ctx.fleet.crowd.length + ctx.fleet.bins.length} sensors`)
    await seedRegistry(dir, ctx.fleet)
    return await fn(join(dir, 'registry.duckdb'))
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

const label = (store: string, readings: number): string => `${store} ${readings >= 1e6 ? `${readings / 1e6}M` : `${readings / 1e3}k`}`

export async function benchDuckDb (ctx: BenchContext): Promise<BackendResult> {
  const sizes: SizeResult[] = []
  await withRegister(ctx, async (register) => {
    for (const readings of ctx.sizes) {
      const dataDir = await mkdtemp(join(tmpdir(), 'sensorstad-query-bench-'))
      try {
        const file = join(dataDir, 'timeseries.duckdb')
        sizes.push(await benchSize(ctx, readings, {
          label: label('duckdb', readings),
          dataDir,
          register,
          open: () => DuckDbTimeSeriesStore.open(file),
          platformEnv: {},
          diskBytes: async () => (await stat(file)).size
        }))
      } finally {
        await rm(dataDir, { recursive: true, force: true })
      }
    }
  })
  return { store: 'duckdb', sensors: ctx.fleet.crowd.length + ctx.fleet.bins.length, fleet: describeFleet(ctx.fleet), sizes }
}

/**
 * InfluxDB 1.x (Debian's influxd on free loopback ports, as the tests start it), one
 * database per size, the store opened with the options the platform gives it (raw retention
 * per kind), so the platform started afterwards reads what was loaded.
 */
export async function benchInflux (ctx: BenchContext): Promise<BackendResult> {
  const influxd = await startInfluxd()
  const kinds = loadKinds()
  const sizes: SizeResult[] = []
  try {
    await withRegister(ctx, async (register) => {
      for (const readings of ctx.sizes) {
        const dataDir = await mkdtemp(join(tmpdir(), 'sensorstad-query-bench-'))
        const database = `bench_${readings}`
        let rejected = 0
        try {
          sizes.push(await benchSize(ctx, readings, {
            label: label('influxdb', readings),
            dataDir,
            register,
            open: () => InfluxTimeSeriesStore.open({
              url: influxd.url,
              database,
              retentionDays: new Map([...kinds.values()].map((k) => [k.id, k.retentionDays])),
              requestTimeoutMs: 120_000,
              onRejected: (count) => { rejected += count }
            }),
            platformEnv: { INFLUX_URL: influxd.url, INFLUX_DB: database },
            rejected: () => rejected
          }))
        } finally {
          await fetch(`${influxd.url}/query?q=${encodeURIComponent(`DROP DATABASE "${database}"`)}`, { method: 'POST' }).catch(() => {})
          await rm(dataDir, { recursive: true, force: true })
        }
      }
    })
  } finally {
    await influxd.destroy()
  }
  return { store: 'influxdb', sensors: ctx.fleet.crowd.length + ctx.fleet.bins.length, fleet: describeFleet(ctx.fleet), sizes }
}

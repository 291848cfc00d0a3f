import type { TimeSeriesStore } from '../../../core/ports/time-series-store.js'
import type { Aggregate, Reading } from '../../../core/reading.js'
import { dayChunks, type Dataset } from './dataset.js'

/**
 * Bulk loading through the store's own write path: `writeReadings` and `writeAggregates` in
 * batches of `batchSize` rows (each one durable commit, as ingest's group commit makes them),
 * in time order. Time spent generating rows is not counted in the rates.
 */
export interface LoadResult {
  readings: number
  aggregates: number
  /** Wall time of the whole load, generation included. */
  seconds: number
  /** Seconds inside writeReadings / writeAggregates. */
  readingSeconds: number
  aggregateSeconds: number
  readingsPerS: number
  aggregatesPerS: number
}

export interface LoadOptions {
  batchSize: number
  label: string
  progress: (line: string) => void
  /** Progress lines at most this often, ms. */
  progressEveryMs?: number
}

export async function loadDataset (store: TimeSeriesStore, dataset: Dataset, options: LoadOptions): Promise<LoadResult> {
  const started = performance.now()
  let lastProgress = started
  const done = { readings: 0, aggregates: 0, readingMs: 0, aggregateMs: 0 }
  let readings: Reading[] = []
  let aggregates: Aggregate[] = []

  const flushReadings = async (rows: Reading[]): Promise<void> => {
    const t = performance.now()
    await store.writeReadings(rows)
    done.readingMs += performance.now() - t
    done.readings += rows.length
  }
  const flushAggregates = async (rows: Aggregate[]): Promise<void> => {
    const t = performance.now()
    await store.writeAggregates(rows)
    done.aggregateMs += performance.now() - t
    done.aggregates += rows.length
  }
  const report = (): void => {
    const s = (performance.now() - started) / 1000
    const pct = Math.round((done.readings / dataset.readings) * 100)
    options.progress(`${options.label}: ${fmt(done.readings)}/${fmt(dataset.readings)} readings (${pct}%), ${fmt(done.aggregates)} aggregates, ${s.toFixed(0)} s, ${fmt(rate(done.readings, done.readingMs))} readings/s, ${fmt(rate(done.aggregates, done.aggregateMs))} aggregates/s`)
  }

  for (const chunk of dayChunks(dataset)) {
    readings = readings.concat(chunk.readings)
    aggregates = aggregates.concat(chunk.aggregates)
    while (readings.length >= options.batchSize) await flushReadings(readings.splice(0, options.batchSize))
    // A day's windows are written after its readings, as the rollup runs after ingest.
    while (aggregates.length >= options.batchSize) await flushAggregates(aggregates.splice(0, options.batchSize))
    if (performance.now() - lastProgress >= (options.progressEveryMs ?? 5_000)) {
      lastProgress = performance.now()
      report()
    }
  }
  if (readings.length > 0) await flushReadings(readings)
  if (aggregates.length > 0) await flushAggregates(aggregates)
  report()
  return {
    readings: done.readings,
    aggregates: done.aggregates,
    seconds: (performance.now() - started) / 1000,
    readingSeconds: done.readingMs / 1000,
    aggregateSeconds: done.aggregateMs / 1000,
    readingsPerS: Math.round(rate(done.readings, done.readingMs)),
    aggregatesPerS: Math.round(rate(done.aggregates, done.aggregateMs))
  }
}

function rate (rows: number, ms: number): number {
  return ms > 0 ? rows / (ms / 1000) : 0
}

export function fmt (n: number): string {
  return Math.round(n).toLocaleString('en')
}

import type { Aggregate, Reading } from '../../../core/reading.js'
import { ROLLUP_SOURCE, WINDOW_MS, WINDOWS, windowStart, type Window } from '../../../core/windows.js'
import { BIN_PERIOD_MIN, DAY_MS, MINUTE_MS, mod, readingsInMinute, valueOf, type BenchSensor, type Fleet } from './fleet.js'

/**
 * A store's worth of readings, in the order ingest writes them (time order, all sensors
 * interleaved), together with the aggregates the rollup job (ingest/rollup.ts) would have
 * stored by `end`: a 1-minute window per minute with readings, each coarser window the merge
 * of the finer ones in time order (ROLLUP_SOURCE), closed windows only. The merge is done
 * here per series number rather than through `mergeInto`'s string-keyed map, which took
 * most of the generation time; test/infra/query-bench.test.ts checks the result equals what
 * the rollup job stores. Generated one UTC day at a time, so 10 million readings never sit
 * in memory at once.
 */
export interface Dataset {
  fleet: Fleet
  readings: number
  /** Epoch ms, on a minute: every reading is before it, the newest within its last minute. */
  end: number
  /** Epoch minute of the oldest reading. */
  firstMinute: number
  /** Readings of the first minute left out, so the total is exactly `readings`. */
  skipFirst: number
}

export interface DayChunk {
  day: number
  readings: Reading[]
  /** Closed windows starting this day, in the rollup's order of writing. */
  aggregates: Aggregate[]
}

export function planDataset (fleet: Fleet, readings: number, end: number): Dataset {
  const endMinute = Math.floor(end / MINUTE_MS)
  let minute = endMinute
  let total = 0
  while (total < readings) {
    minute -= 1
    total += readingsInMinute(fleet, minute)
  }
  return { fleet, readings, end: endMinute * MINUTE_MS, firstMinute: minute, skipFirst: total - readings }
}

/** Days of history the dataset reaches back from `end`. */
export function historyDays (dataset: Dataset): number {
  return (dataset.end - dataset.firstMinute * MINUTE_MS) / DAY_MS
}

export function * dayChunks (dataset: Dataset): Generator<DayChunk> {
  const endMinute = dataset.end / MINUTE_MS
  let skip = dataset.skipFirst
  let minute = dataset.firstMinute
  while (minute < endMinute) {
    const day = Math.floor(minute / 1440)
    const dayEnd = Math.min((day + 1) * 1440, endMinute)
    const rollup = new DayRollup(dataset.fleet.series)
    const readings: Reading[] = []
    for (; minute < dayEnd; minute++) {
      const at = minute * MINUTE_MS
      for (const sensor of dataset.fleet.crowd) emit(sensor, at)
      for (const bin of dataset.fleet.binsByPhase[mod(minute, BIN_PERIOD_MIN)]!) emit(bin, at)
    }
    yield { day, readings, aggregates: rollup.closed(dataset.end, dataset.fleet.rollupOrder) }

    function emit (sensor: BenchSensor, minuteStart: number): void {
      const time = minuteStart + sensor.offsetS * 1000
      sensor.fields.forEach((field, f) => {
        // The first minute may start part-way: its first readings belong to older history.
        if (skip > 0) { skip -= 1; return }
        const reading = { sensorId: sensor.id, kind: sensor.kind, field, time, value: valueOf(sensor, field, time) }
        readings.push(reading)
        rollup.add(sensor.series + f, reading)
      })
    }
  }
}

/** The window each window is merged into (the inverse of ROLLUP_SOURCE). */
const COARSER = new Map(WINDOWS.flatMap((w): Array<[Window, Window]> => ROLLUP_SOURCE[w] === null ? [] : [[ROLLUP_SOURCE[w], w]]))

/**
 * The windows of one UTC day. Every window nests in a day, so none spans two chunks. A
 * series has at most one reading a minute here, so its 1-minute window is that reading.
 */
class DayRollup {
  /** Finished windows per window size, per series, in time order. */
  readonly #done = new Map<Window, Aggregate[][]>()
  /** The open window of each series, per window size above 1 minute. */
  readonly #open = new Map<Window, Array<Aggregate | undefined>>()

  constructor (series: number) {
    for (const window of WINDOWS) {
      this.#done.set(window, Array.from({ length: series }, () => []))
      if (ROLLUP_SOURCE[window] !== null) this.#open.set(window, new Array(series))
    }
  }

  add (series: number, r: Reading): void {
    this.#merge(series, { sensorId: r.sensorId, kind: r.kind, field: r.field, window: '1m', start: windowStart('1m', r.time), count: 1, sum: r.value, min: r.value, max: r.value })
  }

  /** Adds a finished window and merges it into the next coarser one, as the rollup does. */
  #merge (series: number, finished: Aggregate): void {
    this.#done.get(finished.window)![series]!.push(finished)
    const coarser = COARSER.get(finished.window)
    if (coarser === undefined) return
    const open = this.#open.get(coarser)!
    const start = windowStart(coarser, finished.start)
    const current = open[series]
    if (current !== undefined && current.start === start) {
      current.count += finished.count
      current.sum += finished.sum
      current.min = Math.min(current.min, finished.min)
      current.max = Math.max(current.max, finished.max)
      return
    }
    if (current !== undefined) this.#merge(series, current)
    open[series] = { ...finished, window: coarser, start }
  }

  /**
   * Every window of the day that closed by `end` (a window still open is not stored yet), in
   * the order the rollup writes them: kind by kind, window by window, each batch ordered by
   * sensor, field and start as the store answered the rollup's read.
   */
  closed (end: number, rollupOrder: ReadonlyArray<readonly number[]>): Aggregate[] {
    for (const window of WINDOWS) {
      const open = this.#open.get(window)
      if (open === undefined) continue
      open.forEach((agg, series) => { if (agg !== undefined) this.#merge(series, agg) })
      open.fill(undefined)
    }
    const out: Aggregate[] = []
    for (const kindSeries of rollupOrder) {
      for (const window of WINDOWS) {
        const done = this.#done.get(window)!
        for (const series of kindSeries) for (const a of done[series]!) if (a.start + WINDOW_MS[window] <= end) out.push(a)
      }
    }
    return out
  }
}

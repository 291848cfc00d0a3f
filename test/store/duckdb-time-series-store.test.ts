import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { TimeSeriesStore } from '../../core/ports/time-series-store.js'
import type { Reading } from '../../core/reading.js'
import { DuckDbTimeSeriesStore } from '../../store/duckdb-time-series-store.js'
import { timeSeriesStoreConformance } from './time-series-store.conformance.js'

let dir = ''
let files = 0

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sensorstad-duckdb-'))
})

afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

/** A new, empty store file per test, so tests share nothing. */
const openFresh = (): Promise<DuckDbTimeSeriesStore> => DuckDbTimeSeriesStore.open(join(dir, `ts-${++files}.duckdb`))

const reopen = async (store: TimeSeriesStore): Promise<TimeSeriesStore> => {
  if (!(store instanceof DuckDbTimeSeriesStore)) throw new TypeError('reopen needs a DuckDbTimeSeriesStore')
  await store.close()
  return DuckDbTimeSeriesStore.open(store.path)
}

timeSeriesStoreConformance('duckdb (file)', openFresh, reopen)

// No `reopen`: an in-memory database is gone once closed, so the restart tests are skipped.
timeSeriesStoreConformance('duckdb (:memory:)', () => DuckDbTimeSeriesStore.open(':memory:'))

describe('DuckDbTimeSeriesStore', () => {
  const T0 = Date.UTC(2024, 2, 10)
  const reading = (time: number, value: number): Reading => ({ sensorId: 's1', kind: 'air', field: 'pm25', time, value })
  const opened: TimeSeriesStore[] = []

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((s) => s.close()))
  })

  it('creates the parent folder of its file', async () => {
    const path = join(dir, 'nested', 'deeper', 'timeseries.duckdb')
    const store = await DuckDbTimeSeriesStore.open(path)
    opened.push(store)
    await store.writeReadings([reading(T0, 1)])
    expect((await stat(path)).isFile()).toBe(true)
  })

  it('writes a batch all or nothing, and keeps working after a failed one', async () => {
    const store = await openFresh()
    opened.push(store)
    await store.writeReadings([reading(T0, 1)])
    // A fractional time cannot be stored as BIGINT ms: the batch fails at its second row.
    await expect(store.writeReadings([reading(T0 + 1, 2), reading(T0 + 1.5, 3), reading(T0 + 3, 4)])).rejects.toThrow()
    expect(await store.readings({ from: T0, to: T0 + 10 })).toEqual([reading(T0, 1)])
    await store.writeReadings([reading(T0 + 5, 5)])
    expect(await store.readings({ from: T0, to: T0 + 10 })).toEqual([reading(T0, 1), reading(T0 + 5, 5)])
    expect(await store.latest({})).toEqual([reading(T0 + 5, 5)])
  })

  it('keeps data written by many batches across several restarts', async () => {
    let store: TimeSeriesStore = await openFresh()
    for (let round = 0; round < 3; round++) {
      await store.writeReadings(Array.from({ length: 100 }, (_, i) => reading(T0 + i, round * 1000 + i)))
      store = await reopen(store)
    }
    opened.push(store)
    const rows = await store.readings({ from: T0, to: T0 + 100 })
    expect(rows).toHaveLength(100)
    expect(rows.every((r, i) => r.value === 2000 + i)).toBe(true)
    expect(await store.latest({})).toEqual([reading(T0 + 99, 2099)])
  })
})

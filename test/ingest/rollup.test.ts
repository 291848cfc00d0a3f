import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { KindDefinition } from '../../core/kind.js'
import type { TimeSeriesStore } from '../../core/ports/time-series-store.js'
import type { Aggregate, Reading } from '../../core/reading.js'
import { WINDOWS, type Window } from '../../core/windows.js'
import { mergeInto, rollup } from '../../ingest/rollup.js'
import { DuckDbTimeSeriesStore } from '../../store/duckdb-time-series-store.js'
import { MemoryTimeSeriesStore } from '../../store/memory-time-series-store.js'

// 2024-03-10T00:00:00Z: a UTC midnight, so a 1d window starts here.
const T0 = Date.UTC(2024, 2, 10)
const SEC = 1000
const MIN = 60 * SEC
const HOUR = 60 * MIN
const DAY = 24 * HOUR

/** Two days' lateness, so one rollup a day after T0 still reaches every reading below. */
const air: KindDefinition = {
  id: 'air',
  title: 'Air quality',
  description: 'A test kind',
  placement: 'fixed',
  dataModel: 'AirQualityObserved',
  fields: {
    pm25: { unit: 'ug/m3', description: 'PM2.5', privacy: 'open' },
    no2: { unit: 'ug/m3', description: 'NO2', privacy: 'open' }
  },
  payloadSchema: { type: 'object', additionalProperties: false, properties: { pm25: { type: 'number' }, no2: { type: 'number' } } },
  windows: [...WINDOWS],
  retentionDays: 30,
  allowedLatenessS: 2 * 86_400,
  expectedIntervalS: 60,
  privacy: { refuseIdentifiers: true }
}

const reading = (sensorId: string, field: string, time: number, value: number, kind = 'air'): Reading =>
  ({ sensorId, kind, field, time, value })

const agg = (window: Window, start: number, count: number, sum: number, min: number, max: number, over: Partial<Aggregate> = {}): Aggregate =>
  ({ sensorId: 's1', kind: 'air', field: 'pm25', window, start, count, sum, min, max, ...over })

/** s1/pm25 over two 15m windows and two hours of day one, one reading in the open minute of day two, and bystanders. */
const readings: Reading[] = [
  reading('s1', 'pm25', T0 + 10 * SEC, 1),
  reading('s1', 'pm25', T0 + 50 * SEC, 3),
  reading('s1', 'pm25', T0 + 2 * MIN + 5 * SEC, -2),
  reading('s1', 'pm25', T0 + 14 * MIN + 59 * SEC, 6),
  reading('s1', 'pm25', T0 + 15 * MIN, 10),
  reading('s1', 'pm25', T0 + 16 * MIN + 30 * SEC, 4),
  reading('s1', 'pm25', T0 + 65 * MIN, 20),
  reading('s1', 'pm25', T0 + DAY + 10 * SEC, 5),
  reading('s1', 'no2', T0 + 3 * MIN, 40),
  reading('s2', 'pm25', T0 + 20 * SEC, 2),
  reading('s3', 'db', T0 + 10 * SEC, 55, 'noise')
]

/** A day and 40 s after T0: the minute, quarter, hour and day holding T0 + DAY are still open. */
const NOW = T0 + DAY + 40 * SEC

/** What one rollup at NOW must store, computed by hand from `readings`. */
const expected: Record<Window, Aggregate[]> = {
  '1m': [
    agg('1m', T0 + 3 * MIN, 1, 40, 40, 40, { field: 'no2' }),
    agg('1m', T0, 2, 4, 1, 3),
    agg('1m', T0 + 2 * MIN, 1, -2, -2, -2),
    agg('1m', T0 + 14 * MIN, 1, 6, 6, 6),
    agg('1m', T0 + 15 * MIN, 1, 10, 10, 10),
    agg('1m', T0 + 16 * MIN, 1, 4, 4, 4),
    agg('1m', T0 + 65 * MIN, 1, 20, 20, 20),
    agg('1m', T0, 1, 2, 2, 2, { sensorId: 's2' })
  ],
  '15m': [
    agg('15m', T0, 1, 40, 40, 40, { field: 'no2' }),
    agg('15m', T0, 4, 8, -2, 6),
    agg('15m', T0 + 15 * MIN, 2, 14, 4, 10),
    agg('15m', T0 + HOUR, 1, 20, 20, 20),
    agg('15m', T0, 1, 2, 2, 2, { sensorId: 's2' })
  ],
  '1h': [
    agg('1h', T0, 1, 40, 40, 40, { field: 'no2' }),
    agg('1h', T0, 6, 22, -2, 10),
    agg('1h', T0 + HOUR, 1, 20, 20, 20),
    agg('1h', T0, 1, 2, 2, 2, { sensorId: 's2' })
  ],
  '1d': [
    agg('1d', T0, 1, 40, 40, 40, { field: 'no2' }),
    agg('1d', T0, 7, 42, -2, 20),
    agg('1d', T0, 1, 2, 2, 2, { sensorId: 's2' })
  ]
}

const stores: Array<[string, () => Promise<TimeSeriesStore>]> = [
  ['memory', async () => new MemoryTimeSeriesStore()],
  ['duckdb (:memory:)', () => DuckDbTimeSeriesStore.open(':memory:')]
]

for (const [name, open] of stores) {
  describe(`rollup on the ${name} store`, () => {
    let store: TimeSeriesStore

    beforeEach(async () => {
      store = await open()
    })

    afterEach(async () => {
      await store.close()
    })

    /** Every aggregate of every window in the test's days, from `source`. */
    const all = async (source: 'stored' | 'auto' | 'readings'): Promise<Record<Window, Aggregate[]>> => {
      const entries = await Promise.all(WINDOWS.map(async (window) =>
        [window, await store.aggregates({ window, from: T0 - DAY, to: T0 + 3 * DAY, source })] as const))
      return Object.fromEntries(entries) as Record<Window, Aggregate[]>
    }

    it('stores every closed 1m, 15m, 1h and 1d window of the given kinds, exactly', async () => {
      await store.writeReadings(readings)
      expect(await rollup(store, [air], NOW)).toEqual([
        { kind: 'air', window: '1m', written: 8 },
        { kind: 'air', window: '15m', written: 5 },
        { kind: 'air', window: '1h', written: 4 },
        { kind: 'air', window: '1d', written: 3 }
      ])
      expect(await all('stored')).toEqual(expected)
    })

    it('stores nothing for the windows that hold `now`', async () => {
      await store.writeReadings(readings)
      // 00:15:30: the 00:15 minute and quarter, the 00:00 hour and the day are open.
      await rollup(store, [air], T0 + 15 * MIN + 30 * SEC)
      expect(await all('stored')).toEqual({
        '1m': [
          agg('1m', T0 + 3 * MIN, 1, 40, 40, 40, { field: 'no2' }),
          agg('1m', T0, 2, 4, 1, 3),
          agg('1m', T0 + 2 * MIN, 1, -2, -2, -2),
          agg('1m', T0 + 14 * MIN, 1, 6, 6, 6),
          agg('1m', T0, 1, 2, 2, 2, { sensorId: 's2' })
        ],
        '15m': [
          agg('15m', T0, 1, 40, 40, 40, { field: 'no2' }),
          agg('15m', T0, 4, 8, -2, 6),
          agg('15m', T0, 1, 2, 2, 2, { sensorId: 's2' })
        ],
        '1h': [],
        '1d': []
      })
    })

    it('changes nothing when run again', async () => {
      await store.writeReadings(readings)
      await rollup(store, [air], NOW)
      await rollup(store, [air], NOW)
      expect(await all('stored')).toEqual(expected)
      await rollup(store, [air], NOW + 10 * SEC)
      expect(await all('stored')).toEqual(expected)
    })

    it('adds a late reading, within the allowed lateness, at the next rollup', async () => {
      await store.writeReadings(readings)
      await rollup(store, [air], NOW)
      await store.writeReadings([reading('s1', 'pm25', T0 + 14 * MIN + 1 * SEC, 100)])
      expect(await all('stored')).toEqual(expected)
      await rollup(store, [air], NOW + MIN)
      const stored = await all('stored')
      expect(stored['1m'].filter((a) => a.start === T0 + 14 * MIN)).toEqual([agg('1m', T0 + 14 * MIN, 2, 106, 6, 100)])
      expect(stored['15m'][1]).toEqual(agg('15m', T0, 5, 108, -2, 100))
      expect(stored['1h'][1]).toEqual(agg('1h', T0, 7, 122, -2, 100))
      expect(stored['1d'][1]).toEqual(agg('1d', T0, 8, 142, -2, 100))
    })

    it('still answers `auto` with the same values once the raw readings are deleted', async () => {
      await store.writeReadings(readings)
      await rollup(store, [air], NOW)
      const before = await all('auto')
      expect(await store.deleteReadingsBefore('air', T0 + DAY)).toBe(9)
      expect(await store.readings({ from: T0 - DAY, to: T0 + DAY, kind: 'air' })).toEqual([])
      const after = await all('auto')
      expect(after).toEqual(before)
      for (const window of WINDOWS) {
        expect(after[window].filter((a) => a.kind === 'air' && a.start < T0 + DAY)).toEqual(expected[window])
      }
    })

    it('keeps a stored minute that retention has since purged in part', async () => {
      await store.writeReadings(readings)
      await rollup(store, [air], NOW)
      // A sensor retention cut inside the minute at T0, which the next rollup still recomputes.
      expect(await store.deleteReadingsBefore('air', T0 + 30 * SEC, ['s1'])).toBe(1)
      await rollup(store, [air], NOW + 10 * SEC)
      expect(await all('stored')).toEqual(expected)
    })
  })
}

describe('mergeInto', () => {
  it('merges finer windows into the coarser window holding each, exactly', () => {
    const finer = [
      agg('1m', T0, 2, 4, 1, 3),
      agg('1m', T0 + 2 * MIN, 3, -9, -5, 0.5),
      agg('1m', T0 + 14 * MIN, 1, 6, 6, 6),
      agg('1m', T0 + 15 * MIN, 1, 10, 10, 10),
      agg('1m', T0 + 16 * MIN, 4, 2.25, -1, 7)
    ]
    expect(mergeInto('15m', finer)).toEqual([
      agg('15m', T0, 6, 1, -5, 6),
      agg('15m', T0 + 15 * MIN, 5, 12.25, -1, 10)
    ])
  })

  it('keeps sensors and fields apart', () => {
    const merged = mergeInto('1h', [
      agg('15m', T0, 1, 1, 1, 1),
      agg('15m', T0 + 15 * MIN, 2, 4, 1, 3),
      agg('15m', T0, 1, 10, 10, 10, { sensorId: 's2' }),
      agg('15m', T0 + 30 * MIN, 1, 20, 20, 20, { field: 'no2' })
    ])
    expect(merged).toEqual([
      agg('1h', T0, 3, 5, 1, 3),
      agg('1h', T0, 1, 10, 10, 10, { sensorId: 's2' }),
      agg('1h', T0, 1, 20, 20, 20, { field: 'no2' })
    ])
  })

  it('does not change the aggregates it is given', () => {
    const finer = [agg('1h', T0, 1, 1, 1, 1), agg('1h', T0 + HOUR, 1, 2, 2, 2)]
    const copy = structuredClone(finer)
    expect(mergeInto('1d', finer)).toEqual([agg('1d', T0, 2, 3, 1, 2)])
    expect(finer).toEqual(copy)
  })
})

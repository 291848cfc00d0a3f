import { beforeEach, describe, expect, it } from 'vitest'
import type { TimeSeriesStore } from '../../core/ports/time-series-store.js'
import type { Aggregate } from '../../core/reading.js'
import type { Window } from '../../core/windows.js'
import { agg, DAY, HOUR, MIN, reading, T0 } from './time-series-fixtures.js'

/**
 * The aggregates part of the time-series conformance suite (time-series-store.conformance.ts
 * calls it inside its describe, where `current` gives the store opened for each test).
 */
export function aggregatesConformance (current: () => TimeSeriesStore): void {
  describe('aggregates', () => {
    let store: TimeSeriesStore
    beforeEach(() => { store = current() })

    // Hand-computed windows of these six readings of s1/pm25 (minutes after T0).
    const six = [
      reading('s1', 'pm25', T0 + 10_000, 1),
      reading('s1', 'pm25', T0 + 50_000, 3),
      reading('s1', 'pm25', T0 + 2 * MIN, -2),
      reading('s1', 'pm25', T0 + 20 * MIN, 10),
      reading('s1', 'pm25', T0 + 75 * MIN, 4),
      reading('s1', 'pm25', T0 + DAY + HOUR, 6)
    ]
    const expected: Record<Window, Aggregate[]> = {
      '1m': [
        agg('1m', T0, 2, 4, 1, 3),
        agg('1m', T0 + 2 * MIN, 1, -2, -2, -2),
        agg('1m', T0 + 20 * MIN, 1, 10, 10, 10),
        agg('1m', T0 + 75 * MIN, 1, 4, 4, 4),
        agg('1m', T0 + DAY + HOUR, 1, 6, 6, 6)
      ],
      '15m': [
        agg('15m', T0, 3, 2, -2, 3),
        agg('15m', T0 + 15 * MIN, 1, 10, 10, 10),
        agg('15m', T0 + 75 * MIN, 1, 4, 4, 4),
        agg('15m', T0 + DAY + HOUR, 1, 6, 6, 6)
      ],
      '1h': [
        agg('1h', T0, 4, 12, -2, 10),
        agg('1h', T0 + HOUR, 1, 4, 4, 4),
        agg('1h', T0 + DAY + HOUR, 1, 6, 6, 6)
      ],
      '1d': [
        agg('1d', T0, 5, 16, -2, 10),
        agg('1d', T0 + DAY, 1, 6, 6, 6)
      ]
    }

    for (const window of Object.keys(expected) as Window[]) {
      it(`computes ${window} windows from readings`, async () => {
        await store.writeReadings(six)
        expect(await store.aggregates({ window, from: T0, to: T0 + 2 * DAY, source: 'readings' })).toEqual(expected[window])
      })
    }

    it('starts a day at 00:00 UTC', async () => {
      await store.writeReadings([
        reading('s1', 'pm25', T0 - 1, 1),
        reading('s1', 'pm25', T0, 2),
        reading('s1', 'pm25', T0 + DAY - 1, 3),
        reading('s1', 'pm25', T0 + DAY, 4)
      ])
      expect(await store.aggregates({ window: '1d', from: T0 - DAY, to: T0 + 2 * DAY, source: 'readings' })).toEqual([
        agg('1d', T0 - DAY, 1, 1, 1, 1),
        agg('1d', T0, 2, 5, 2, 3),
        agg('1d', T0 + DAY, 1, 4, 4, 4)
      ])
    })

    it('counts a key written twice once, with the later value', async () => {
      await store.writeReadings([reading('s1', 'pm25', T0, 1), reading('s1', 'pm25', T0 + 1000, 2)])
      await store.writeReadings([reading('s1', 'pm25', T0, 5)])
      expect(await store.aggregates({ window: '1m', from: T0, to: T0 + MIN, source: 'readings' }))
        .toEqual([agg('1m', T0, 2, 7, 2, 5)])
    })

    it('answers the windows whose start is in [from, to), each one whole', async () => {
      await store.writeReadings(six)
      // 00:30..01:30 holds the start of the 01:00 window only; that window runs to 02:00.
      expect(await store.aggregates({ window: '1h', from: T0 + 30 * MIN, to: T0 + 90 * MIN, source: 'readings' }))
        .toEqual([agg('1h', T0 + HOUR, 1, 4, 4, 4)])
      expect(await store.aggregates({ window: '15m', from: T0 + 15 * MIN, to: T0 + 75 * MIN, source: 'readings' }))
        .toEqual([agg('15m', T0 + 15 * MIN, 1, 10, 10, 10)])
    })

    it('filters computed windows by kind, sensorIds and field', async () => {
      await store.writeReadings([
        reading('s1', 'pm25', T0, 1),
        reading('s1', 'no2', T0, 2),
        reading('s2', 'pm25', T0, 3),
        reading('s3', 'db', T0, 4, 'noise')
      ])
      const sums = async (filter: object): Promise<number[]> =>
        (await store.aggregates({ window: '1m', from: T0, to: T0 + MIN, source: 'readings', ...filter })).map((a) => a.sum)
      expect(await sums({ kind: 'noise' })).toEqual([4])
      expect(await sums({ sensorIds: ['s1'] })).toEqual([2, 1])
      expect(await sums({ field: 'pm25', sensorIds: ['s2', 's3'] })).toEqual([3])
    })

    it('honours limit', async () => {
      await store.writeReadings(six)
      const rows = await store.aggregates({ window: '1m', from: T0, to: T0 + 2 * DAY, source: 'readings', limit: 2 })
      expect(rows).toEqual(expected['1m'].slice(0, 2))
    })

    it('stores aggregates and replaces one written again for the same key', async () => {
      await store.writeAggregates([agg('1h', T0, 1, 1, 1, 1), agg('1h', T0 + HOUR, 2, 2, 1, 1)])
      await store.writeAggregates([agg('1h', T0, 3, 30, 5, 15)])
      expect(await store.aggregates({ window: '1h', from: T0, to: T0 + DAY, source: 'stored' })).toEqual([
        agg('1h', T0, 3, 30, 5, 15),
        agg('1h', T0 + HOUR, 2, 2, 1, 1)
      ])
    })

    it('keeps the later of two aggregates for one key in a batch', async () => {
      await store.writeAggregates([agg('1m', T0, 1, 1, 1, 1), agg('1m', T0, 2, 8, 3, 5)])
      expect(await store.aggregates({ window: '1m', from: T0, to: T0 + MIN, source: 'stored' }))
        .toEqual([agg('1m', T0, 2, 8, 3, 5)])
    })

    it('keeps windows, sensors and fields of stored aggregates apart', async () => {
      await store.writeAggregates([
        agg('1m', T0, 1, 1, 1, 1),
        agg('1h', T0, 2, 2, 1, 1),
        agg('1m', T0, 3, 3, 1, 1, { sensorId: 's2' }),
        agg('1m', T0, 4, 4, 1, 1, { field: 'no2' }),
        agg('1m', T0, 5, 5, 1, 1, { sensorId: 's3', kind: 'noise', field: 'db' })
      ])
      const counts = async (query: object): Promise<number[]> =>
        (await store.aggregates({ window: '1m', from: T0, to: T0 + MIN, source: 'stored', ...query })).map((a) => a.count)
      expect(await counts({})).toEqual([4, 1, 3, 5])
      expect(await counts({ window: '1h' })).toEqual([2])
      expect(await counts({ kind: 'noise' })).toEqual([5])
      expect(await counts({ sensorIds: ['s1'], field: 'pm25' })).toEqual([1])
      expect(await counts({ from: T0 + 1 })).toEqual([])
    })

    it('answers `stored`, `readings` and `auto` from their sources', async () => {
      await store.writeReadings([
        reading('s1', 'pm25', T0, 1),
        reading('s1', 'pm25', T0 + MIN, 2),
        reading('s1', 'pm25', T0 + 2 * MIN, 3)
      ])
      // Stored values differ from the readings so the source of each window shows.
      await store.writeAggregates([agg('1m', T0, 99, 990, 0, 20)])
      const query = { window: '1m' as const, from: T0, to: T0 + HOUR }
      expect(await store.aggregates({ ...query, source: 'stored' })).toEqual([agg('1m', T0, 99, 990, 0, 20)])
      expect(await store.aggregates({ ...query, source: 'readings' })).toEqual([
        agg('1m', T0, 1, 1, 1, 1),
        agg('1m', T0 + MIN, 1, 2, 2, 2),
        agg('1m', T0 + 2 * MIN, 1, 3, 3, 3)
      ])
      const auto = [
        agg('1m', T0, 99, 990, 0, 20),
        agg('1m', T0 + MIN, 1, 2, 2, 2),
        agg('1m', T0 + 2 * MIN, 1, 3, 3, 3)
      ]
      expect(await store.aggregates({ ...query, source: 'auto' })).toEqual(auto)
      expect(await store.aggregates(query)).toEqual(auto)
    })

    it('still answers from stored aggregates after the readings are deleted', async () => {
      await store.writeReadings(six)
      await store.writeAggregates(expected['1h'].slice(0, 2).map((a) => ({ ...a, count: a.count + 100 })))
      expect(await store.deleteReadingsBefore('air', T0 + DAY)).toBe(5)
      const query = { window: '1h' as const, from: T0, to: T0 + 2 * DAY }
      expect(await store.aggregates({ ...query, source: 'readings' })).toEqual([agg('1h', T0 + DAY + HOUR, 1, 6, 6, 6)])
      expect(await store.aggregates(query)).toEqual([
        agg('1h', T0, 104, 12, -2, 10),
        agg('1h', T0 + HOUR, 101, 4, 4, 4),
        agg('1h', T0 + DAY + HOUR, 1, 6, 6, 6)
      ])
    })

    it('treats an empty aggregate write as a no-op', async () => {
      await store.writeAggregates([agg('1m', T0, 1, 1, 1, 1)])
      await store.writeAggregates([])
      expect(await store.aggregates({ window: '1m', from: T0, to: T0 + MIN, source: 'stored' })).toEqual([agg('1m', T0, 1, 1, 1, 1)])
    })
  })
}

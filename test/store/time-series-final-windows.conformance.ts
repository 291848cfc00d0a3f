import { beforeEach, describe, expect, it } from 'vitest'
import type { TimeSeriesStore } from '../../core/ports/time-series-store.js'
import { agg, DAY, HOUR, MIN, reading, T0 } from './time-series-fixtures.js'

/**
 * `finalBefore` of the aggregates query (part of the time-series conformance suite): windows
 * that end at or before it come from stored aggregates only, the rest as `auto` always did.
 * Stored values differ from what the readings give, so the source of every window shows.
 */
export function finalWindowsConformance (current: () => TimeSeriesStore): void {
  describe('aggregates with finalBefore', () => {
    let store: TimeSeriesStore
    beforeEach(() => { store = current() })

    // One reading per minute, values 1..5; stored windows at T0 and T0 + 3 min.
    const minutes = [0, 1, 2, 3, 4].map((m) => reading('s1', 'pm25', T0 + m * MIN + 5_000, m + 1))
    const storedT0 = agg('1m', T0, 99, 990, 0, 20)
    const stored3 = agg('1m', T0 + 3 * MIN, 77, 770, 0, 20)
    const computed = (m: number) => agg('1m', T0 + m * MIN, 1, m + 1, m + 1, m + 1)
    const query = { window: '1m' as const, from: T0, to: T0 + HOUR }

    beforeEach(async () => {
      await store.writeReadings(minutes)
      await store.writeAggregates([storedT0, stored3])
    })

    it('answers final windows from stored aggregates only and computes the others', async () => {
      // 02:30 into the hour: the 00:02 window ends after it, so it is still open.
      const finalBefore = T0 + 2 * MIN + 30_000
      expect(await store.aggregates({ ...query, finalBefore })).toEqual([
        storedT0, // final, stored
        // 00:01 is final and was never stored: absent, although readings hold it
        computed(2), // open, nothing stored
        stored3, // open, stored wins as in auto
        computed(4)
      ])
    })

    it('takes a window that ends exactly at finalBefore as final', async () => {
      expect(await store.aggregates({ ...query, finalBefore: T0 + 2 * MIN })).toEqual([storedT0, computed(2), stored3, computed(4)])
      expect(await store.aggregates({ ...query, finalBefore: T0 + 2 * MIN - 1 })).toEqual([storedT0, computed(1), computed(2), stored3, computed(4)])
    })

    it('answers stored windows alone when every window is final', async () => {
      expect(await store.aggregates({ ...query, finalBefore: T0 + DAY })).toEqual([storedT0, stored3])
      expect(await store.aggregates({ ...query, to: T0 + 2 * MIN, finalBefore: T0 + 2 * MIN })).toEqual([storedT0])
    })

    it('changes nothing when finalBefore is before the range', async () => {
      const auto = [storedT0, computed(1), computed(2), stored3, computed(4)]
      expect(await store.aggregates(query)).toEqual(auto)
      expect(await store.aggregates({ ...query, finalBefore: T0 - DAY })).toEqual(auto)
      expect(await store.aggregates({ ...query, from: T0 + 2 * MIN, finalBefore: T0 + MIN })).toEqual(auto.slice(2))
    })

    it('is ignored by `readings` and `stored`', async () => {
      const finalBefore = T0 + DAY
      expect(await store.aggregates({ ...query, source: 'readings', finalBefore })).toEqual([0, 1, 2, 3, 4].map(computed))
      expect(await store.aggregates({ ...query, source: 'stored', finalBefore })).toEqual([storedT0, stored3])
    })

    it('keeps a coarse window open until its end', async () => {
      await store.writeReadings([reading('s1', 'pm25', T0 + HOUR + 10 * MIN, 8)])
      await store.writeAggregates([agg('1h', T0, 5, 50, 5, 5)])
      // 01:30: the 01:00 hour is open; 00:00 is final and answers as stored.
      expect(await store.aggregates({ window: '1h', from: T0, to: T0 + DAY, finalBefore: T0 + 90 * MIN }))
        .toEqual([agg('1h', T0, 5, 50, 5, 5), agg('1h', T0 + HOUR, 1, 8, 8, 8)])
    })

    it('filters and limits as without it', async () => {
      await store.writeReadings([reading('s2', 'pm25', T0 + 4 * MIN, 40)])
      const finalBefore = T0 + 2 * MIN
      expect(await store.aggregates({ ...query, finalBefore, sensorIds: ['s2'] })).toEqual([agg('1m', T0 + 4 * MIN, 1, 40, 40, 40, { sensorId: 's2' })])
      expect(await store.aggregates({ ...query, finalBefore, sensorIds: [] })).toEqual([])
      expect(await store.aggregates({ ...query, finalBefore, limit: 2 })).toEqual([storedT0, computed(2)])
    })
  })
}

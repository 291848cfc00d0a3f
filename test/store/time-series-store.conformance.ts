import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { TimeSeriesStore } from '../../core/ports/time-series-store.js'
import type { Reading } from '../../core/reading.js'
import { aggregatesConformance } from './time-series-aggregates.conformance.js'
import { finalWindowsConformance } from './time-series-final-windows.conformance.js'
import { agg, DAY, HOUR, MIN, reading, T0 } from './time-series-fixtures.js'

/**
 * The behaviour every `TimeSeriesStore` must show (the port in core/ports/time-series-store.ts),
 * in the manner of aedes-persistence's `abstract.js`: each implementation's test file calls
 * this with a factory. `open` must give an empty store each time. `reopen`, for stores that
 * persist, closes the given store and opens a new one over the same data; without it the
 * restart tests are skipped, since a store that keeps nothing cannot be restarted.
 */
export function timeSeriesStoreConformance (
  name: string,
  open: () => Promise<TimeSeriesStore>,
  reopen?: (store: TimeSeriesStore) => Promise<TimeSeriesStore>
): void {
  describe(`TimeSeriesStore conformance: ${name}`, () => {
    let store: TimeSeriesStore

    beforeEach(async () => {
      store = await open()
    })

    afterEach(async () => {
      await store.close()
    })

    describe('writeReadings and readings', () => {
      it('reads back what was written, ordered by sensorId, field, time', async () => {
        await store.writeReadings([
          reading('s2', 'pm25', T0 + 2000, 5),
          reading('s1', 'pm25', T0 + 1000, 2),
          reading('s1', 'no2', T0 + 3000, 40),
          reading('s1', 'pm25', T0, 1),
          reading('s2', 'no2', T0, 30)
        ])
        expect(await store.readings({ from: T0, to: T0 + HOUR })).toEqual([
          reading('s1', 'no2', T0 + 3000, 40),
          reading('s1', 'pm25', T0, 1),
          reading('s1', 'pm25', T0 + 1000, 2),
          reading('s2', 'no2', T0, 30),
          reading('s2', 'pm25', T0 + 2000, 5)
        ])
      })

      it('orders text by code point, as SQL does, not by UTF-16 unit', async () => {
        // U+1F600 is one code point above U+FFFD, but two UTF-16 units below it.
        await store.writeReadings([
          reading('\u{1F600}', 'f', T0, 1),
          reading('\uFFFD', 'f', T0, 2),
          reading('Z', 'f', T0, 3),
          reading('a', 'f', T0, 4)
        ])
        const ids = (await store.readings({ from: T0, to: T0 + 1 })).map((r) => r.sensorId)
        expect(ids).toEqual(['Z', 'a', '\uFFFD', '\u{1F600}'])
      })

      it('treats the range as half-open [from, to)', async () => {
        await store.writeReadings([
          reading('s1', 'pm25', T0 - 1, 1),
          reading('s1', 'pm25', T0, 2),
          reading('s1', 'pm25', T0 + MIN - 1, 3),
          reading('s1', 'pm25', T0 + MIN, 4)
        ])
        expect((await store.readings({ from: T0, to: T0 + MIN })).map((r) => r.value)).toEqual([2, 3])
      })

      it('filters by kind, sensorIds and field, alone and together', async () => {
        await store.writeReadings([
          reading('s1', 'pm25', T0, 1, 'air'),
          reading('s1', 'no2', T0, 2, 'air'),
          reading('s2', 'pm25', T0, 3, 'air'),
          reading('s3', 'db', T0, 4, 'noise')
        ])
        const values = async (filter: object): Promise<number[]> =>
          (await store.readings({ from: T0, to: T0 + 1, ...filter })).map((r) => r.value)
        expect(await values({ kind: 'noise' })).toEqual([4])
        expect(await values({ sensorIds: ['s2', 's3'] })).toEqual([3, 4])
        expect(await values({ field: 'pm25' })).toEqual([1, 3])
        expect(await values({ kind: 'air', sensorIds: ['s1', 's3'], field: 'no2' })).toEqual([2])
        expect(await values({ sensorIds: [] })).toEqual([])
        expect(await values({ kind: 'water' })).toEqual([])
      })

      it('stores a key written twice in one batch once, with the later value', async () => {
        await store.writeReadings([
          reading('s1', 'pm25', T0, 1),
          reading('s1', 'pm25', T0, 2),
          reading('s1', 'pm25', T0 + 1, 3)
        ])
        expect(await store.readings({ from: T0, to: T0 + MIN })).toEqual([
          reading('s1', 'pm25', T0, 2),
          reading('s1', 'pm25', T0 + 1, 3)
        ])
      })

      it('stores a key written again in a later batch once, with the later value', async () => {
        const batch = [reading('s1', 'pm25', T0, 1), reading('s1', 'pm25', T0 + 1, 2)]
        await store.writeReadings(batch)
        await store.writeReadings(batch)
        await store.writeReadings([reading('s1', 'pm25', T0, 9)])
        expect(await store.readings({ from: T0, to: T0 + MIN })).toEqual([
          reading('s1', 'pm25', T0, 9),
          reading('s1', 'pm25', T0 + 1, 2)
        ])
      })

      it('keeps the same time of another field or sensor as a separate reading', async () => {
        await store.writeReadings([reading('s1', 'pm25', T0, 1), reading('s1', 'no2', T0, 2), reading('s2', 'pm25', T0, 3)])
        expect(await store.readings({ from: T0, to: T0 + 1 })).toHaveLength(3)
      })

      it('returns at most `limit` rows, the first in order', async () => {
        await store.writeReadings(Array.from({ length: 30 }, (_, i) => reading('s1', 'pm25', T0 + (29 - i) * 1000, 29 - i)))
        const rows = await store.readings({ from: T0, to: T0 + HOUR, limit: 10 })
        expect(rows.map((r) => r.value)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
      })

      it('returns at most 10,000 rows when no limit is given', async () => {
        await store.writeReadings(Array.from({ length: 10_050 }, (_, i) => reading('s1', 'pm25', T0 + i, i)))
        const rows = await store.readings({ from: T0, to: T0 + DAY })
        expect(rows).toHaveLength(10_000)
        expect(rows.at(-1)?.value).toBe(9999)
      })

      it('treats an empty write as a no-op', async () => {
        await store.writeReadings([reading('s1', 'pm25', T0, 1)])
        await store.writeReadings([])
        expect(await store.readings({ from: T0, to: T0 + 1 })).toEqual([reading('s1', 'pm25', T0, 1)])
        expect(await store.latest({})).toEqual([reading('s1', 'pm25', T0, 1)])
      })

      it('lands every batch of concurrent writes', async () => {
        const batches = Array.from({ length: 20 }, (_, b) =>
          Array.from({ length: 50 }, (_, i) => reading(`s${b}`, 'pm25', T0 + i * 1000, b * 100 + i)))
        await Promise.all(batches.map((batch) => store.writeReadings(batch)))
        const rows = await store.readings({ from: T0, to: T0 + HOUR })
        expect(rows).toHaveLength(1000)
        expect(new Set(rows.map((r) => r.value)).size).toBe(1000)
        expect(rows.filter((r) => r.sensorId === 's7').map((r) => r.value)).toEqual(batches[7]?.map((r) => r.value))
        expect(await store.latest({ sensorIds: ['s19'] })).toEqual([reading('s19', 'pm25', T0 + 49_000, 1949)])
      })
    })

    describe('latest', () => {
      it('holds the newest reading of each sensor and field', async () => {
        await store.writeReadings([
          reading('s1', 'pm25', T0, 1),
          reading('s1', 'pm25', T0 + 2000, 3),
          reading('s1', 'pm25', T0 + 1000, 2),
          reading('s1', 'no2', T0, 10),
          reading('s2', 'db', T0 + 5000, 60, 'noise')
        ])
        expect(await store.latest({})).toEqual([
          reading('s1', 'no2', T0, 10),
          reading('s1', 'pm25', T0 + 2000, 3),
          reading('s2', 'db', T0 + 5000, 60, 'noise')
        ])
      })

      it('is not replaced by an older reading that arrives late', async () => {
        await store.writeReadings([reading('s1', 'pm25', T0 + HOUR, 5)])
        await store.writeReadings([reading('s1', 'pm25', T0, 1)])
        expect(await store.latest({})).toEqual([reading('s1', 'pm25', T0 + HOUR, 5)])
      })

      it('takes the later write of the same time, across batches and within one', async () => {
        await store.writeReadings([reading('s1', 'pm25', T0, 1)])
        await store.writeReadings([reading('s1', 'pm25', T0, 2)])
        expect(await store.latest({})).toEqual([reading('s1', 'pm25', T0, 2)])
        await store.writeReadings([reading('s1', 'pm25', T0 + 1, 3), reading('s1', 'pm25', T0 + 1, 4), reading('s1', 'pm25', T0, 5)])
        expect(await store.latest({})).toEqual([reading('s1', 'pm25', T0 + 1, 4)])
      })

      it('filters by kind, sensorIds and field', async () => {
        await store.writeReadings([
          reading('s1', 'pm25', T0, 1),
          reading('s1', 'no2', T0, 2),
          reading('s2', 'pm25', T0, 3),
          reading('s3', 'db', T0, 4, 'noise')
        ])
        const values = async (filter: object): Promise<number[]> => (await store.latest(filter)).map((r) => r.value)
        expect(await values({ kind: 'noise' })).toEqual([4])
        expect(await values({ sensorIds: ['s1', 's2'] })).toEqual([2, 1, 3])
        expect(await values({ field: 'pm25' })).toEqual([1, 3])
        expect(await values({ sensorIds: [] })).toEqual([])
      })
    })

    aggregatesConformance(() => store)
    finalWindowsConformance(() => store)

    describe('deleteReadingsBefore', () => {
      it('deletes readings of that kind before the time, returns their number, and keeps latest', async () => {
        await store.writeReadings([
          reading('s1', 'pm25', T0, 1),
          reading('s1', 'pm25', T0 + 1000, 2),
          reading('s1', 'pm25', T0 + 1000, 3),
          reading('s1', 'pm25', T0 + 2000, 4),
          reading('s2', 'db', T0, 50, 'noise')
        ])
        await store.writeReadings([reading('s1', 'pm25', T0, 5)])
        // Readings as `readings` shows them: a key written twice counts once.
        expect(await store.deleteReadingsBefore('air', T0 + 2000)).toBe(2)
        expect(await store.readings({ from: T0, to: T0 + HOUR })).toEqual([
          reading('s1', 'pm25', T0 + 2000, 4),
          reading('s2', 'db', T0, 50, 'noise')
        ])
        expect(await store.latest({})).toEqual([
          reading('s1', 'pm25', T0 + 2000, 4),
          reading('s2', 'db', T0, 50, 'noise')
        ])
        expect(await store.deleteReadingsBefore('air', T0 + 2000)).toBe(0)
      })

      it('keeps latest even when every reading of the series is gone', async () => {
        await store.writeReadings([reading('s1', 'pm25', T0, 1)])
        expect(await store.deleteReadingsBefore('air', T0 + DAY)).toBe(1)
        expect(await store.readings({ from: T0, to: T0 + DAY })).toEqual([])
        expect(await store.latest({})).toEqual([reading('s1', 'pm25', T0, 1)])
      })

      describe('of listed sensors only', () => {
        const mixed = [
          reading('s1', 'pm25', T0, 1),
          reading('s1', 'pm25', T0 + 1000, 2),
          reading('s1', 'no2', T0, 3),
          reading('s1', 'pm25', T0 + HOUR, 4),
          reading('s2', 'pm25', T0, 5),
          reading('s2', 'pm25', T0 + 1000, 6),
          reading('s3', 'pm25', T0, 7),
          reading('s1', 'db', T0, 8, 'noise')
        ]

        it('deletes only those sensors\' readings of that kind before the time, and counts them', async () => {
          await store.writeReadings(mixed)
          await store.writeReadings([reading('s1', 'pm25', T0, 9)])
          // s1: pm25 at T0 (written twice, counted once), pm25 at T0+1s and no2 at T0; s3: pm25 at T0.
          expect(await store.deleteReadingsBefore('air', T0 + HOUR, ['s1', 's3'])).toBe(4)
          expect(await store.readings({ from: T0 - DAY, to: T0 + DAY })).toEqual([
            reading('s1', 'db', T0, 8, 'noise'),
            reading('s1', 'pm25', T0 + HOUR, 4),
            reading('s2', 'pm25', T0, 5),
            reading('s2', 'pm25', T0 + 1000, 6)
          ])
          expect(await store.deleteReadingsBefore('air', T0 + HOUR, ['s1', 's3'])).toBe(0)
          expect(await store.deleteReadingsBefore('air', T0 + DAY, ['s2'])).toBe(2)
          expect(await store.readings({ from: T0 - DAY, to: T0 + DAY })).toEqual([
            reading('s1', 'db', T0, 8, 'noise'),
            reading('s1', 'pm25', T0 + HOUR, 4)
          ])
        })

        it('deletes nothing for an empty list or an unknown sensor', async () => {
          await store.writeReadings(mixed)
          expect(await store.deleteReadingsBefore('air', T0 + DAY, [])).toBe(0)
          expect(await store.deleteReadingsBefore('air', T0 + DAY, ['s9'])).toBe(0)
          expect(await store.readings({ from: T0 - DAY, to: T0 + DAY })).toHaveLength(mixed.length)
        })

        it('keeps stored aggregates and latest of the sensors it deletes from', async () => {
          await store.writeReadings(mixed)
          const stored = [agg('1h', T0, 3, 7, 1, 4), agg('1h', T0, 2, 11, 5, 6, { sensorId: 's2' })]
          await store.writeAggregates(stored)
          expect(await store.deleteReadingsBefore('air', T0 + DAY, ['s1', 's2'])).toBe(6)
          expect(await store.aggregates({ window: '1h', from: T0, to: T0 + DAY, source: 'stored' })).toEqual(stored)
          expect(await store.aggregates({ window: '1h', from: T0, to: T0 + DAY, field: 'pm25' })).toEqual([
            ...stored,
            agg('1h', T0, 1, 7, 7, 7, { sensorId: 's3' })
          ])
          expect((await store.latest({ sensorIds: ['s1', 's2'] })).map((r) => r.value)).toEqual([8, 3, 4, 6])
        })

        it('binds sensor ids holding SQL metacharacters as values', async () => {
          const ids = ["s'1", "x') OR true OR ('", 'a%', 'a_c', 'abc']
          await store.writeReadings(ids.map((id, i) => reading(id, 'pm25', T0, i)))
          expect(await store.deleteReadingsBefore('air', T0 + 1, ["x') OR true OR ('", 'a%'])).toBe(2)
          expect((await store.readings({ from: T0, to: T0 + 1 })).map((r) => r.sensorId)).toEqual(['a_c', 'abc', "s'1"])
        })
      })

      it('does not resurrect an overwritten value', async () => {
        await store.writeReadings([reading('s1', 'pm25', T0, 1)])
        await store.writeReadings([reading('s1', 'pm25', T0, 2)])
        expect(await store.deleteReadingsBefore('air', T0 + 1)).toBe(1)
        expect(await store.readings({ from: T0 - DAY, to: T0 + DAY })).toEqual([])
      })
    })

    describe('untrusted text', () => {
      const nasty = ["s'1", 's1\'; DROP TABLE readings; --', 'a%', 'a_c', '"quoted"', 'back\\slash', '$1', '?']

      it('stores, filters and deletes by ids, kinds and fields holding SQL metacharacters', async () => {
        await store.writeReadings([
          ...nasty.map((id, i) => reading(id, "f'%", T0, i, "k'; --")),
          reading('abc', "f'%", T0, 100, "k'; --"),
          reading('s1', 'pm25', T0, 200)
        ])
        const all = await store.readings({ from: T0, to: T0 + 1 })
        expect(all).toHaveLength(nasty.length + 2)
        // `%` and `_` are not wildcards: 'a%' and 'a_c' match themselves only.
        expect((await store.readings({ from: T0, to: T0 + 1, sensorIds: ['a%', 'a_c'] })).map((r) => r.sensorId)).toEqual(['a%', 'a_c'])
        expect((await store.readings({ from: T0, to: T0 + 1, sensorIds: [nasty[1] ?? ''] })).map((r) => r.value)).toEqual([1])
        expect((await store.readings({ from: T0, to: T0 + 1, kind: "k'; --", field: "f'%" }))).toHaveLength(nasty.length + 1)
        expect((await store.latest({ sensorIds: ["s'1"], field: "f'%" })).map((r) => r.value)).toEqual([0])
        expect((await store.aggregates({ window: '1m', from: T0, to: T0 + MIN, kind: "k'; --", sensorIds: ['"quoted"'], source: 'readings' })).map((a) => a.sum))
          .toEqual([4])
        await store.writeAggregates([agg('1m', T0, 7, 7, 7, 7, { sensorId: "s'1", kind: "k'; --", field: "f'%" })])
        expect((await store.aggregates({ window: '1m', from: T0, to: T0 + MIN, sensorIds: ["s'1"], source: 'stored' })).map((a) => a.count)).toEqual([7])
        expect(await store.deleteReadingsBefore("k'; --", T0 + 1)).toBe(nasty.length + 1)
        expect(await store.readings({ from: T0, to: T0 + 1 })).toEqual([reading('s1', 'pm25', T0, 200)])
      })
    })

    describe('lifecycle', () => {
      it('answers ping while open and rejects with STORE_ERR_UNAVAILABLE once closed', async () => {
        await expect(store.ping()).resolves.toBeUndefined()
        await store.close()
        await expect(store.ping()).rejects.toMatchObject({ code: 'STORE_ERR_UNAVAILABLE' })
        await expect(store.writeReadings([reading('s1', 'pm25', T0, 1)])).rejects.toMatchObject({ code: 'STORE_ERR_UNAVAILABLE' })
        await expect(store.readings({ from: T0, to: T0 + 1 })).rejects.toMatchObject({ code: 'STORE_ERR_UNAVAILABLE' })
      })

      it('finishes writes already started when closed', async () => {
        const writes = Array.from({ length: 5 }, (_, b) => store.writeReadings([reading(`s${b}`, 'pm25', T0, b)]))
        await store.close()
        await expect(Promise.all(writes)).resolves.toHaveLength(5)
        if (reopen !== undefined) {
          store = await reopen(store)
          expect(await store.readings({ from: T0, to: T0 + 1 })).toHaveLength(5)
        }
      })
    })

    // Only for stores that keep something: one kept in memory has no restart to test.
    if (reopen !== undefined) {
      describe('after a restart', () => {
        const restart = async (): Promise<void> => {
          if (reopen !== undefined) store = await reopen(store)
        }

        it('keeps readings, latest and stored aggregates', async () => {
          await store.writeReadings(six())
          await store.writeAggregates([agg('1h', T0, 9, 9, 1, 1)])
          await restart()
          expect(await store.readings({ from: T0, to: T0 + DAY })).toEqual(six())
          expect(await store.latest({})).toEqual([reading('s1', 'pm25', T0 + 2000, 3)])
          expect(await store.aggregates({ window: '1h', from: T0, to: T0 + DAY, source: 'stored' })).toEqual([agg('1h', T0, 9, 9, 1, 1)])
        })

        it('still lets the later write of a key win', async () => {
          await store.writeReadings([reading('s1', 'pm25', T0, 1), reading('s1', 'pm25', T0 + 1000, 2)])
          await restart()
          await store.writeReadings([reading('s1', 'pm25', T0, 7)])
          await restart()
          expect(await store.readings({ from: T0, to: T0 + DAY })).toEqual([
            reading('s1', 'pm25', T0, 7),
            reading('s1', 'pm25', T0 + 1000, 2)
          ])
        })

        it('keeps latest after its readings were deleted, and does not let an older reading replace it', async () => {
          await store.writeReadings([reading('s1', 'pm25', T0 + HOUR, 5)])
          await store.deleteReadingsBefore('air', T0 + DAY)
          await restart()
          await store.writeReadings([reading('s1', 'pm25', T0, 1)])
          expect(await store.latest({})).toEqual([reading('s1', 'pm25', T0 + HOUR, 5)])
        })

        function six (): Reading[] {
          return [reading('s1', 'pm25', T0, 1), reading('s1', 'pm25', T0 + 1000, 2), reading('s1', 'pm25', T0 + 2000, 3)]
        }
      })
    }
  })
}

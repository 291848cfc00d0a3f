import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { CellAggregate, CellContribution, CellQuery, GridStore } from '../../core/ports/grid-store.js'

/**
 * The behaviour every `GridStore` must show (the port in core/ports/grid-store.ts), in the
 * manner of aedes-persistence's `abstract.js`: each implementation's test file calls this with
 * a factory. `open` must give an empty store each time. `reopen`, for stores that persist,
 * closes the given store and opens a new one over the same data; without it the restart tests
 * are skipped, since a store that keeps nothing cannot be restarted.
 *
 * Values are integers or halves, so sums are exact whatever order a store adds them in.
 */
export function gridStoreConformance (
  name: string,
  open: () => Promise<GridStore>,
  reopen?: (store: GridStore) => Promise<GridStore>
): void {
  // 2024-03-10T00:00:00Z, the start of a UTC hour.
  const T0 = Date.UTC(2024, 2, 10)
  const HOUR = 3_600_000

  /** One ride's contribution; `value` fills count 1, sum, min and max unless `over` says otherwise. */
  const contrib = (ride: string, device: string, value: number, over: Partial<CellContribution> = {}): CellContribution =>
    ({ kind: 'air', cell: 'c1', start: T0, field: 'pm25', ride, device, count: 1, sum: value, min: value, max: value, ...over })

  const agg = (count: number, sum: number, min: number, max: number, rides: number, devices: number, over: Partial<CellAggregate> = {}): CellAggregate =>
    ({ kind: 'air', cell: 'c1', start: T0, field: 'pm25', count, sum, min, max, rides, devices, ...over })

  /** `n` rides, each on its own device, in one cell-hour. */
  const rides = (n: number, over: Partial<CellContribution> = {}): CellContribution[] =>
    Array.from({ length: n }, (_, i) => contrib(`ride-${over.cell ?? 'c1'}-${over.start ?? T0}-${i}`, `dev-${i}`, i + 1, over))

  const all: CellQuery = { kind: 'air', from: T0 - 24 * HOUR, to: T0 + 24 * HOUR }

  describe(`GridStore conformance: ${name}`, () => {
    let store: GridStore

    beforeEach(async () => {
      store = await open()
    })

    afterEach(async () => {
      await store.close()
    })

    describe('writeContributions and cellAggregates', () => {
      it('merges the rides of a cell-hour: adds count and sum, takes min and max, counts distinct rides and devices', async () => {
        await store.writeContributions([
          contrib('r1', 'd1', 0, { count: 3, sum: 30, min: 5, max: 15 }),
          contrib('r2', 'd1', 0, { count: 2, sum: 8, min: 2, max: 6 }),
          contrib('r3', 'd2', 20),
          contrib('r4', 'd3', 7.5, { start: T0 + HOUR })
        ])
        expect(await store.cellAggregates(all)).toEqual([
          agg(6, 58, 2, 20, 3, 2),
          agg(1, 7.5, 7.5, 7.5, 1, 1, { start: T0 + HOUR })
        ])
      })

      it('replaces a ride written again, in a later batch or the same one: it counts once and the later value wins', async () => {
        await store.writeContributions([contrib('r1', 'd1', 10), contrib('r2', 'd2', 1)])
        await store.writeContributions([contrib('r1', 'd1', 0, { count: 2, sum: 4, min: 1, max: 3 })])
        expect(await store.cellAggregates(all)).toEqual([agg(3, 5, 1, 3, 2, 2)])
        await store.writeContributions([contrib('r3', 'd3', 100), contrib('r3', 'd3', 7)])
        expect(await store.cellAggregates(all)).toEqual([agg(4, 12, 1, 7, 3, 3)])
        // The replacing row's device counts, not the replaced one's: r2 now rode on d1.
        await store.writeContributions([contrib('r2', 'd1', 1)])
        expect(await store.cellAggregates(all)).toEqual([agg(4, 12, 1, 7, 3, 2)])
      })

      it('keeps a ride in another cell, hour, field or kind as a separate contribution', async () => {
        await store.writeContributions([
          contrib('r1', 'd1', 1),
          contrib('r1', 'd1', 2, { cell: 'c2' }),
          contrib('r1', 'd1', 3, { start: T0 + HOUR }),
          contrib('r1', 'd1', 4, { field: 'no2' }),
          contrib('r1', 'd1', 5, { kind: 'noise' })
        ])
        expect(await store.cellAggregates(all)).toEqual([
          agg(1, 4, 4, 4, 1, 1, { field: 'no2' }),
          agg(1, 1, 1, 1, 1, 1),
          agg(1, 2, 2, 2, 1, 1, { cell: 'c2' }),
          agg(1, 3, 3, 3, 1, 1, { start: T0 + HOUR })
        ])
        expect(await store.cellAggregates({ ...all, kind: 'noise' })).toEqual([agg(1, 5, 5, 5, 1, 1, { kind: 'noise' })])
      })

      it('treats an empty write as a no-op', async () => {
        await store.writeContributions([contrib('r1', 'd1', 1)])
        await store.writeContributions([])
        expect(await store.cellAggregates(all)).toEqual([agg(1, 1, 1, 1, 1, 1)])
      })

      it('keeps what was written from the caller\'s later changes to the rows or to answers', async () => {
        const row = contrib('r1', 'd1', 1)
        await store.writeContributions([row])
        row.sum = 99
        row.ride = 'r2'
        const [first] = await store.cellAggregates(all)
        if (first !== undefined) first.count = 99
        expect(await store.cellAggregates(all)).toEqual([agg(1, 1, 1, 1, 1, 1)])
        await store.compactBefore('air', T0 + HOUR)
        const [compacted] = await store.cellAggregates(all)
        if (compacted !== undefined) compacted.rides = 99
        expect(await store.cellAggregates(all)).toEqual([agg(1, 1, 1, 1, 1, 1)])
      })

      it('answers nothing for an empty store', async () => {
        expect(await store.cellAggregates(all)).toEqual([])
      })
    })

    describe('thresholds', () => {
      it('shows a cell-hour from exactly minRides distinct rides, and by default from one', async () => {
        await store.writeContributions([...rides(1, { cell: 'a' }), ...rides(2, { cell: 'b' }), ...rides(3, { cell: 'c' })])
        const cells = async (minRides?: number): Promise<string[]> =>
          (await store.cellAggregates({ ...all, minRides })).map((a) => `${a.cell}:${a.rides}`)
        expect(await cells()).toEqual(['a:1', 'b:2', 'c:3'])
        expect(await cells(2)).toEqual(['b:2', 'c:3'])
        expect(await cells(3)).toEqual(['c:3'])
        expect(await cells(4)).toEqual([])
      })

      it('shows a cell-hour from exactly minDevices distinct devices, and needs both thresholds met', async () => {
        await store.writeContributions([
          // a: 3 rides on one device; b: 2 rides on 2 devices; c: 4 rides on 3 devices.
          contrib('a1', 'd1', 1, { cell: 'a' }), contrib('a2', 'd1', 1, { cell: 'a' }), contrib('a3', 'd1', 1, { cell: 'a' }),
          contrib('b1', 'd1', 1, { cell: 'b' }), contrib('b2', 'd2', 1, { cell: 'b' }),
          contrib('c1', 'd1', 1, { cell: 'c' }), contrib('c2', 'd2', 1, { cell: 'c' }), contrib('c3', 'd3', 1, { cell: 'c' }), contrib('c4', 'd3', 1, { cell: 'c' })
        ])
        const cells = async (q: Partial<CellQuery>): Promise<string[]> =>
          (await store.cellAggregates({ ...all, ...q })).map((a) => `${a.cell}:${a.rides}/${a.devices}`)
        expect(await cells({})).toEqual(['a:3/1', 'b:2/2', 'c:4/3'])
        expect(await cells({ minDevices: 2 })).toEqual(['b:2/2', 'c:4/3'])
        expect(await cells({ minDevices: 3 })).toEqual(['c:4/3'])
        expect(await cells({ minDevices: 4 })).toEqual([])
        expect(await cells({ minRides: 3 })).toEqual(['a:3/1', 'c:4/3'])
        expect(await cells({ minRides: 3, minDevices: 2 })).toEqual(['c:4/3'])
        expect(await cells({ minRides: 4, minDevices: 3 })).toEqual(['c:4/3'])
        expect(await cells({ minRides: 5, minDevices: 3 })).toEqual([])
      })
    })

    describe('filters', () => {
      const mixed = [
        contrib('r1', 'd1', 1),
        contrib('r2', 'd2', 2, { field: 'no2' }),
        contrib('r3', 'd3', 3, { cell: 'c2' }),
        contrib('r4', 'd4', 4, { cell: 'c3' }),
        contrib('r5', 'd5', 5, { kind: 'noise' }),
        contrib('r6', 'd6', 6, { kind: 'noise', cell: 'c2', field: 'db' })
      ]
      const sums = async (q: Partial<CellQuery>): Promise<number[]> =>
        (await store.cellAggregates({ ...all, ...q })).map((a) => a.sum)

      it('answers the given kind only, and says so in each row', async () => {
        await store.writeContributions(mixed)
        expect(await sums({})).toEqual([2, 1, 3, 4])
        expect(await store.cellAggregates({ ...all, kind: 'noise' })).toEqual([
          agg(1, 5, 5, 5, 1, 1, { kind: 'noise' }),
          agg(1, 6, 6, 6, 1, 1, { kind: 'noise', cell: 'c2', field: 'db' })
        ])
        expect(await sums({ kind: 'water' })).toEqual([])
      })

      it('filters by field and by cells, alone and together', async () => {
        await store.writeContributions(mixed)
        expect(await sums({ field: 'pm25' })).toEqual([1, 3, 4])
        expect(await sums({ field: 'no2' })).toEqual([2])
        expect(await sums({ cells: ['c3', 'c1'] })).toEqual([2, 1, 4])
        expect(await sums({ cells: ['c1', 'c2'], field: 'pm25' })).toEqual([1, 3])
        expect(await sums({ kind: 'noise', cells: ['c2'] })).toEqual([6])
        expect(await sums({ cells: [] })).toEqual([])
        expect(await sums({ cells: ['c9'] })).toEqual([])
        expect(await sums({ field: 'db' })).toEqual([])
      })

      it('selects cell-hours by start in the half-open range [from, to)', async () => {
        await store.writeContributions([-1, 0, 1, 2].map((h) => contrib(`r${h}`, 'd1', h, { start: T0 + h * HOUR })))
        expect(await sums({ from: T0, to: T0 + 2 * HOUR })).toEqual([0, 1])
        expect(await sums({ from: T0 + 1, to: T0 + 2 * HOUR + 1 })).toEqual([1, 2])
        expect(await sums({ from: T0, to: T0 })).toEqual([])
      })
    })

    describe('order and limit', () => {
      it('orders by start, then cell and field in code-point order', async () => {
        // U+1F600 is one code point above U+FFFD, but two UTF-16 units below it.
        await store.writeContributions([
          contrib('r1', 'd1', 1, { start: T0 + HOUR, cell: 'a' }),
          contrib('r2', 'd1', 2, { cell: '\u{1F600}' }),
          contrib('r3', 'd1', 3, { cell: '\uFFFD' }),
          contrib('r4', 'd1', 4, { cell: 'a', field: 'pm25' }),
          contrib('r5', 'd1', 5, { cell: 'a', field: 'no2' }),
          contrib('r6', 'd1', 6, { cell: 'Z' })
        ])
        expect((await store.cellAggregates(all)).map((a) => a.sum)).toEqual([6, 5, 4, 3, 2, 1])
      })

      it('returns at most `limit` rows, the first in order, counted after the thresholds', async () => {
        // Hours 0..29, written newest first; the odd ones have two rides, the even ones one.
        await store.writeContributions(Array.from({ length: 30 }, (_, i) => 29 - i).flatMap((h) => rides(h % 2 === 1 ? 2 : 1, { start: T0 + h * HOUR })))
        const starts = async (q: Partial<CellQuery>): Promise<number[]> =>
          (await store.cellAggregates({ ...all, ...q, to: T0 + 30 * HOUR })).map((a) => (a.start - T0) / HOUR)
        expect(await starts({ limit: 3 })).toEqual([0, 1, 2])
        expect(await starts({ limit: 3, minRides: 2 })).toEqual([1, 3, 5])
        expect(await starts({ limit: 0 })).toEqual([])
      })

      it('returns at most 10,000 rows when no limit is given', async () => {
        await store.writeContributions(Array.from({ length: 10_050 }, (_, i) => contrib('r1', 'd1', i, { cell: `c${String(i).padStart(5, '0')}` })))
        const rows = await store.cellAggregates(all)
        expect(rows).toHaveLength(10_000)
        expect(rows.at(-1)?.sum).toBe(9999)
      })
    })

    describe('compactBefore', () => {
      // At T0 three rides of two devices (pm25) and one of them in no2 too; one ride in each of
      // the next two hours; and noise in the first cell-hour.
      const history = [
        contrib('ride-a', 'dev-x', 0, { count: 3, sum: 12, min: 2, max: 6 }),
        contrib('ride-b', 'dev-x', 5),
        contrib('ride-c', 'dev-y', 0, { count: 2, sum: 3, min: -1.5, max: 4.5 }),
        contrib('ride-a', 'dev-x', 9, { field: 'no2' }),
        contrib('ride-d', 'dev-z', 8, { start: T0 + HOUR }),
        contrib('ride-e', 'dev-x', 1, { start: T0 + 2 * HOUR }),
        contrib('ride-n', 'dev-n', 60, { kind: 'noise', field: 'db' })
      ]
      const pseudonyms = ['ride-a', 'ride-b', 'ride-c', 'ride-d', 'ride-e', 'ride-n', 'dev-x', 'dev-y', 'dev-z', 'dev-n']
      const queries: CellQuery[] = [
        all,
        { ...all, kind: 'noise' },
        { ...all, minRides: 3 },
        { ...all, minDevices: 2 },
        { ...all, field: 'pm25', cells: ['c1'], from: T0 + 1, to: T0 + 3 * HOUR },
        { ...all, limit: 2 }
      ]
      const answers = async (): Promise<CellAggregate[][]> => Promise.all(queries.map((q) => store.cellAggregates(q)))

      it('answers every query the same before and after, and returns no pseudonym', async () => {
        await store.writeContributions(history)
        const before = await answers()
        expect(before[0]).toEqual([
          agg(1, 9, 9, 9, 1, 1, { field: 'no2' }),
          agg(6, 20, -1.5, 6, 3, 2),
          agg(1, 8, 8, 8, 1, 1, { start: T0 + HOUR }),
          agg(1, 1, 1, 1, 1, 1, { start: T0 + 2 * HOUR })
        ])
        expect(await store.compactBefore('air', T0 + 2 * HOUR)).toBe(5)
        expect(await answers()).toEqual(before)
        expect(await store.compactBefore('noise', T0 + 2 * HOUR)).toBe(1)
        const after = await answers()
        expect(after).toEqual(before)
        const text = JSON.stringify(after)
        for (const p of pseudonyms) expect(text).not.toContain(p)
      })

      it('removes only contributions of that kind with start before `before`, and counts them', async () => {
        await store.writeContributions(history)
        // start < before: the hour starting at `before` stays.
        expect(await store.compactBefore('air', T0 + HOUR)).toBe(4)
        expect(await store.compactBefore('air', T0 + HOUR)).toBe(0)
        expect(await store.compactBefore('noise', T0)).toBe(0)
        expect(await store.compactBefore('water', T0 + 24 * HOUR)).toBe(0)
        // A ride still held as a contribution replaces itself; one compacted away cannot.
        await store.writeContributions([
          contrib('ride-d', 'dev-z', 10, { start: T0 + HOUR }),
          contrib('ride-n', 'dev-n', 70, { kind: 'noise', field: 'db' }),
          contrib('ride-b', 'dev-x', 5)
        ])
        expect(await store.cellAggregates(all)).toEqual([
          agg(1, 9, 9, 9, 1, 1, { field: 'no2' }),
          agg(7, 25, -1.5, 6, 4, 3),
          agg(1, 10, 10, 10, 1, 1, { start: T0 + HOUR }),
          agg(1, 1, 1, 1, 1, 1, { start: T0 + 2 * HOUR })
        ])
        expect(await store.cellAggregates({ ...all, kind: 'noise' })).toEqual([agg(1, 70, 70, 70, 1, 1, { kind: 'noise', field: 'db' })])
        expect(await store.compactBefore('air', T0 + 24 * HOUR)).toBe(3)
      })

      it('adds contributions that arrive after compaction, counting their rides and devices again', async () => {
        await store.writeContributions([contrib('r1', 'd1', 4), contrib('r2', 'd1', 6)])
        expect(await store.compactBefore('air', T0 + HOUR)).toBe(2)
        expect(await store.cellAggregates({ ...all, minDevices: 2 })).toEqual([])
        // d1 is counted again: the summary no longer knows it contributed (documented overcount).
        await store.writeContributions([contrib('r3', 'd1', 0, { count: 2, sum: 1, min: -0.5, max: 1.5 }), contrib('r4', 'd2', 10)])
        const merged = agg(5, 21, -0.5, 10, 4, 3)
        expect(await store.cellAggregates(all)).toEqual([merged])
        expect(await store.cellAggregates({ ...all, minRides: 4, minDevices: 3 })).toEqual([merged])
        expect(await store.cellAggregates({ ...all, minRides: 5 })).toEqual([])
        // A second compaction merges into the summary and changes no answer.
        expect(await store.compactBefore('air', T0 + HOUR)).toBe(2)
        expect(await store.cellAggregates(all)).toEqual([merged])
        await store.writeContributions([contrib('r1', 'd1', 100)])
        expect(await store.cellAggregates(all)).toEqual([agg(6, 121, -0.5, 100, 5, 4)])
      })
    })

    describe('untrusted text', () => {
      const nasty = ["c'1", "c'; DROP TABLE contributions; --", 'a%', 'a_c', '"quoted"', 'back\\slash', '$1', '?']

      it('stores, filters and compacts by kinds, cells, fields and pseudonyms holding SQL metacharacters', async () => {
        const kind = "k'; DELETE FROM summaries; --"
        const field = "f'%"
        await store.writeContributions([
          ...nasty.map((cell, i) => contrib(`r'${i}; --`, `d"${i}`, i, { kind, cell, field })),
          contrib("r'0; --", 'd"0', 100, { kind, cell: 'abc', field }),
          contrib("r'0; --", 'd"0', 50, { kind, cell: "c'1", field }),
          contrib('r1', 'd1', 200)
        ])
        const q = { ...all, kind, field }
        expect(await store.cellAggregates(q)).toHaveLength(nasty.length + 1)
        // `%` and `_` are not wildcards: 'a%' and 'a_c' match themselves only.
        expect((await store.cellAggregates({ ...q, cells: ['a%', 'a_c'] })).map((a) => a.cell)).toEqual(['a%', 'a_c'])
        expect((await store.cellAggregates({ ...q, cells: [nasty[1] ?? ''] })).map((a) => a.sum)).toEqual([1])
        expect(await store.cellAggregates({ ...q, cells: ["c'1"] })).toEqual([agg(1, 50, 50, 50, 1, 1, { kind, cell: "c'1", field })])
        expect(await store.compactBefore(kind, T0 + 1)).toBe(nasty.length + 1)
        expect(await store.cellAggregates({ ...q, cells: ["c'1", '$1'] })).toEqual([
          agg(1, 6, 6, 6, 1, 1, { kind, cell: '$1', field }),
          agg(1, 50, 50, 50, 1, 1, { kind, cell: "c'1", field })
        ])
        expect(await store.cellAggregates(all)).toEqual([agg(1, 200, 200, 200, 1, 1)])
      })
    })

    describe('concurrency', () => {
      it('lands every batch of concurrent writes', async () => {
        // 20 batches, each one ride (one device per two rides) over 50 cells.
        const batches = Array.from({ length: 20 }, (_, b) =>
          Array.from({ length: 50 }, (_, i) => contrib(`r${b}`, `d${b % 10}`, b, { cell: `c${String(i).padStart(2, '0')}` })))
        await Promise.all(batches.map((batch) => store.writeContributions(batch)))
        const rows = await store.cellAggregates(all)
        expect(rows).toHaveLength(50)
        for (const a of rows) expect(a).toMatchObject({ count: 20, sum: 190, min: 0, max: 19, rides: 20, devices: 10 })
      })

      it('keeps every contribution when compaction runs among writes', async () => {
        const ops = Array.from({ length: 10 }, (_, b) => [
          store.writeContributions([contrib(`r${b}`, `d${b}`, b)]),
          store.compactBefore('air', T0 + HOUR)
        ]).flat()
        await Promise.all(ops)
        await store.compactBefore('air', T0 + HOUR)
        expect(await store.cellAggregates(all)).toEqual([agg(10, 45, 0, 9, 10, 10)])
      })
    })

    describe('lifecycle', () => {
      it('answers ping while open and rejects every call with STORE_ERR_UNAVAILABLE once closed', async () => {
        await expect(store.ping()).resolves.toBeUndefined()
        await store.close()
        const unavailable = { code: 'STORE_ERR_UNAVAILABLE' }
        await expect(store.ping()).rejects.toMatchObject(unavailable)
        await expect(store.writeContributions([contrib('r1', 'd1', 1)])).rejects.toMatchObject(unavailable)
        await expect(store.writeContributions([])).rejects.toMatchObject(unavailable)
        await expect(store.cellAggregates(all)).rejects.toMatchObject(unavailable)
        await expect(store.compactBefore('air', T0)).rejects.toMatchObject(unavailable)
        await expect(store.close()).resolves.toBeUndefined()
      })

      it('finishes writes already started when closed', async () => {
        const writes = Array.from({ length: 5 }, (_, b) => store.writeContributions([contrib(`r${b}`, 'd1', b)]))
        await store.close()
        await expect(Promise.all(writes)).resolves.toHaveLength(5)
        if (reopen !== undefined) {
          store = await reopen(store)
          expect(await store.cellAggregates(all)).toEqual([agg(5, 10, 0, 4, 5, 1)])
        }
      })
    })

    // Only for stores that keep something: one kept in memory has no restart to test.
    if (reopen !== undefined) {
      describe('after a restart', () => {
        const restart = async (): Promise<void> => {
          if (reopen !== undefined) store = await reopen(store)
        }

        it('keeps contributions and summaries, and still replaces a ride held as a contribution', async () => {
          await store.writeContributions([
            contrib('r1', 'd1', 1), contrib('r2', 'd2', 2),
            contrib('r3', 'd1', 3, { start: T0 + HOUR }), contrib('r4', 'd1', 4, { start: T0 + HOUR })
          ])
          expect(await store.compactBefore('air', T0 + HOUR)).toBe(2)
          const expected = [agg(2, 3, 1, 2, 2, 2), agg(2, 7, 3, 4, 2, 1, { start: T0 + HOUR })]
          await restart()
          expect(await store.cellAggregates(all)).toEqual(expected)
          await store.writeContributions([contrib('r4', 'd2', 5, { start: T0 + HOUR })])
          await restart()
          expect(await store.cellAggregates(all)).toEqual([agg(2, 3, 1, 2, 2, 2), agg(2, 8, 3, 5, 2, 2, { start: T0 + HOUR })])
          expect(await store.compactBefore('air', T0 + 2 * HOUR)).toBe(2)
          await restart()
          expect(await store.cellAggregates(all)).toEqual([agg(2, 3, 1, 2, 2, 2), agg(2, 8, 3, 5, 2, 2, { start: T0 + HOUR })])
        })
      })
    }
  })
}

import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { AlertEvent } from '../../core/alerts.js'
import type { AlertQuery, AlertStore } from '../../core/ports/alert-store.js'

type NewEvent = Omit<AlertEvent, 'id'>

/**
 * The behaviour every `AlertStore` must show (the port in core/ports/alert-store.ts), in the
 * manner of aedes-persistence's `abstract.js`: each implementation's test file calls this with
 * a factory. `open` must give an empty store each time. `reopen`, for stores that persist,
 * closes the given store and opens a new one over the same data; without it the restart tests
 * are skipped, since a store that keeps nothing cannot be restarted.
 */
export function alertStoreConformance (
  name: string,
  open: () => Promise<AlertStore>,
  reopen?: (store: AlertStore) => Promise<AlertStore>
): void {
  // 2024-04-27T12:00:00Z, King's Day in Amsterdam.
  const T0 = Date.UTC(2024, 3, 27, 12)
  const SECOND = 1000
  const iso = (ms: number): string => new Date(ms).toISOString()

  const event = (over: Partial<NewEvent> = {}): NewEvent => ({
    zoneId: 'dam',
    type: 'level',
    level: 'crowded',
    previousLevel: 'busy',
    count: 1200,
    density: 0.85,
    threshold: 0.8,
    sensorIds: ['cam-1', 'cam-2'],
    time: iso(T0),
    ack: null,
    ...over
  })
  const ackA = { by: 'team-noord', tokenId: 'tok-a', at: iso(T0 + 60 * SECOND) }
  const ackB = { by: 'team-zuid', tokenId: 'tok-b', at: iso(T0 + 90 * SECOND) }

  describe(`AlertStore conformance: ${name}`, () => {
    let store: AlertStore

    beforeEach(async () => {
      store = await open()
    })

    afterEach(async () => {
      await store.close()
    })

    /** Appends one event per element, in order, each `count` set to its index. */
    const appendAll = async (events: ReadonlyArray<Partial<NewEvent>>): Promise<AlertEvent[]> => {
      const out: AlertEvent[] = []
      for (const [i, over] of events.entries()) out.push(await store.append(event({ count: i, ...over })))
      return out
    }
    const ids = async (query: AlertQuery): Promise<string[]> => (await store.list(query)).map((e) => e.id)

    describe('append and get', () => {
      it('returns the event with ids "1", "2", "3" in append order, and get answers the same', async () => {
        const signal = event({ type: 'no-signal', level: 'normal', previousLevel: 'normal', threshold: null, sensorIds: ['wifi-9'] })
        const first = await store.append(event())
        const second = await store.append(signal)
        const third = await store.append(event({ zoneId: 'leidseplein', count: 3, density: 0.1 + 0.2 }))
        expect(first).toEqual({ id: '1', ...event() })
        expect(second).toEqual({ id: '2', ...signal })
        expect(third).toEqual({ id: '3', ...event({ zoneId: 'leidseplein', count: 3, density: 0.30000000000000004 }) })
        expect(await store.get('1')).toEqual(first)
        expect(await store.get('2')).toEqual(second)
        expect(await store.get('3')).toEqual(third)
      })

      it('answers undefined for an id never issued, or not written as issued', async () => {
        await appendAll([{}, {}])
        for (const id of ['3', '0', '999', '01', ' 1', '1.0', 'abc', '', '-1', '99999999999999999999']) {
          expect(await store.get(id)).toBeUndefined()
        }
        expect(await store.get('2')).toMatchObject({ id: '2', count: 1 })
      })

      it('stores only the fields of the AlertEvent schema', async () => {
        const withExtra = { ...event(), secret: 'token-xyz', id: '42' } as unknown as NewEvent
        const stored = await store.append(withExtra)
        expect(stored).toEqual({ id: '1', ...event() })
        expect(await store.get('1')).toEqual(stored)
        expect(await store.get('42')).toBeUndefined()
      })

      it('refuses an event that breaks the schema with STORE_ERR_REJECTED, and issues no id for it', async () => {
        await expect(store.append(event({ time: 'yesterday' }))).rejects.toMatchObject({ code: 'STORE_ERR_REJECTED' })
        await expect(store.append(event({ level: 'panic' as AlertEvent['level'] }))).rejects.toMatchObject({ code: 'STORE_ERR_REJECTED' })
        await expect(store.append(event({ count: '5' as unknown as number }))).rejects.toMatchObject({ code: 'STORE_ERR_REJECTED' })
        expect((await store.append(event())).id).toBe('1')
        expect(await ids({})).toEqual(['1'])
      })
    })

    describe('list', () => {
      it('compares afterId as a number: after "9" come 10, 11 and 12', async () => {
        await appendAll(Array.from({ length: 12 }, () => ({})))
        expect(await ids({ afterId: '9', ascending: true })).toEqual(['10', '11', '12'])
        expect(await ids({ afterId: '9' })).toEqual(['12', '11', '10'])
        expect(await ids({ afterId: '10', ascending: true })).toEqual(['11', '12'])
        expect(await ids({ afterId: '1', ascending: true, limit: 3 })).toEqual(['2', '3', '4'])
        expect(await ids({ afterId: '0', ascending: true })).toHaveLength(12)
        expect(await ids({ afterId: '12' })).toEqual([])
        expect(await ids({ afterId: '99999999999999999999' })).toEqual([])
      })

      it('lists newest first by default and oldest first with ascending, by id and not by event time', async () => {
        // Appended out of time order: the order is the order of appending.
        await appendAll([{ time: iso(T0 + 2 * SECOND) }, { time: iso(T0) }, { time: iso(T0 + SECOND) }])
        expect(await ids({})).toEqual(['3', '2', '1'])
        expect(await ids({ ascending: false })).toEqual(['3', '2', '1'])
        expect(await ids({ ascending: true })).toEqual(['1', '2', '3'])
      })

      it('returns at most 100 events by default, and at most `limit` from the chosen end', async () => {
        await appendAll(Array.from({ length: 105 }, () => ({})))
        const newest = await ids({})
        expect(newest).toHaveLength(100)
        expect([newest[0], newest.at(-1)]).toEqual(['105', '6'])
        const oldest = await ids({ ascending: true })
        expect(oldest).toHaveLength(100)
        expect([oldest[0], oldest.at(-1)]).toEqual(['1', '100'])
        expect(await ids({ limit: 3 })).toEqual(['105', '104', '103'])
        expect(await ids({ limit: 3, ascending: true })).toEqual(['1', '2', '3'])
        expect(await ids({ limit: 105, ascending: true })).toHaveLength(105)
        expect(await ids({ limit: 0 })).toEqual([])
      })

      it('filters by zone id', async () => {
        await appendAll([{ zoneId: 'dam' }, { zoneId: 'museumplein' }, { zoneId: 'dam' }, { zoneId: 'Dam' }])
        expect(await ids({ zoneId: 'dam' })).toEqual(['3', '1'])
        expect(await ids({ zoneId: 'museumplein' })).toEqual(['2'])
        expect(await ids({ zoneId: 'Dam' })).toEqual(['4'])
        expect(await ids({ zoneId: 'da' })).toEqual([])
        expect(await ids({ zoneId: 'nowhere' })).toEqual([])
      })

      it('filters by event time at or after `since` (epoch ms)', async () => {
        await appendAll([{ time: iso(T0 + 2 * SECOND) }, { time: iso(T0) }, { time: iso(T0 + SECOND) }, { time: iso(T0 + SECOND - 1) }])
        expect(await ids({ since: T0 + SECOND, ascending: true })).toEqual(['1', '3'])
        expect(await ids({ since: T0 + SECOND + 1, ascending: true })).toEqual(['1'])
        expect(await ids({ since: T0 + SECOND - 1, ascending: true })).toEqual(['1', '3', '4'])
        expect(await ids({ since: T0, ascending: true })).toEqual(['1', '2', '3', '4'])
        expect(await ids({ since: T0 + 3 * SECOND })).toEqual([])
      })

      it('applies zone, afterId, since and limit together', async () => {
        await appendAll([
          { zoneId: 'dam', time: iso(T0) },
          { zoneId: 'dam', time: iso(T0 + 5 * SECOND) },
          { zoneId: 'rembrandtplein', time: iso(T0 + 5 * SECOND) },
          { zoneId: 'dam', time: iso(T0 + SECOND) },
          { zoneId: 'dam', time: iso(T0 + 6 * SECOND) },
          { zoneId: 'dam', time: iso(T0 + 7 * SECOND) }
        ])
        expect(await ids({ zoneId: 'dam', since: T0 + 5 * SECOND })).toEqual(['6', '5', '2'])
        expect(await ids({ zoneId: 'dam', since: T0 + 5 * SECOND, afterId: '2', ascending: true })).toEqual(['5', '6'])
        expect(await ids({ zoneId: 'dam', afterId: '1', limit: 2, ascending: true })).toEqual(['2', '4'])
        expect(await ids({ zoneId: 'dam', afterId: '1', limit: 2 })).toEqual(['6', '5'])
      })

      it('answers nothing for an empty store', async () => {
        expect(await store.list({})).toEqual([])
        expect(await store.list({ zoneId: 'dam', afterId: '0', since: T0, ascending: true, limit: 5 })).toEqual([])
      })

      it('refuses an afterId that is no id, a non-finite since and a bad limit, with API_ERR_VALIDATION', async () => {
        await appendAll([{}, {}])
        for (const query of [{ afterId: 'abc' }, { afterId: '-1' }, { afterId: '1.5' }, { afterId: '' }, { afterId: ' 1' }] as AlertQuery[]) {
          await expect(store.list(query)).rejects.toMatchObject({ code: 'API_ERR_VALIDATION', field: 'afterId' })
        }
        await expect(store.list({ since: Number.NaN })).rejects.toMatchObject({ code: 'API_ERR_VALIDATION', field: 'since' })
        for (const limit of [-1, 2.5, Number.NaN, Number.POSITIVE_INFINITY]) {
          await expect(store.list({ limit })).rejects.toMatchObject({ code: 'API_ERR_VALIDATION', field: 'limit' })
        }
        expect(await ids({ afterId: '01' })).toEqual(['2'])
      })
    })

    describe('acknowledge', () => {
      it('records the first acknowledgement, and a second call returns the event with the first unchanged', async () => {
        await appendAll([{}, {}])
        const acked = await store.acknowledge('1', ackA)
        expect(acked).toEqual({ id: '1', ...event({ count: 0 }), ack: ackA })
        expect(await store.get('1')).toEqual(acked)
        expect(await store.acknowledge('1', ackB)).toEqual(acked)
        expect(await store.get('1')).toEqual(acked)
        expect((await store.list({ ascending: true })).map((e) => e.ack)).toEqual([ackA, null])
        expect(await store.acknowledge('2', ackB)).toMatchObject({ id: '2', ack: ackB })
        expect((await store.list({ ascending: true })).map((e) => e.ack)).toEqual([ackA, ackB])
      })

      it('lets the first of two concurrent acknowledgements win', async () => {
        await appendAll([{}])
        const [first, second] = await Promise.all([store.acknowledge('1', ackB), store.acknowledge('1', ackA)])
        expect(first?.ack).toEqual(ackB)
        expect(second?.ack).toEqual(ackB)
        expect((await store.get('1'))?.ack).toEqual(ackB)
      })

      it('answers undefined for an unknown id and changes nothing', async () => {
        await appendAll([{}])
        for (const id of ['2', '0', '01', 'abc', '']) expect(await store.acknowledge(id, ackA)).toBeUndefined()
        expect(await store.list({})).toEqual([{ id: '1', ...event({ count: 0 }) }])
      })

      it('refuses an acknowledgement that breaks the schema with STORE_ERR_REJECTED', async () => {
        await appendAll([{}])
        await expect(store.acknowledge('1', { ...ackA, at: 'now' })).rejects.toMatchObject({ code: 'STORE_ERR_REJECTED' })
        await expect(store.acknowledge('1', { by: 'x' } as typeof ackA)).rejects.toMatchObject({ code: 'STORE_ERR_REJECTED' })
        expect((await store.get('1'))?.ack).toBeNull()
      })
    })

    describe('copies', () => {
      it('keeps what was stored from the caller\'s later changes to its input or to any answer', async () => {
        const input = event()
        const appended = await store.append(input)
        input.zoneId = 'changed'
        input.sensorIds.push('cam-x')
        appended.count = -1
        appended.sensorIds.push('cam-y')
        const got = await store.get('1')
        if (got !== undefined) {
          got.level = 'normal'
          got.sensorIds.length = 0
        }
        const [listed] = await store.list({})
        if (listed !== undefined) {
          listed.zoneId = 'elsewhere'
          listed.sensorIds[0] = 'cam-z'
        }
        const acked = await store.acknowledge('1', { ...ackA })
        if (acked?.ack != null) acked.ack.by = 'impostor'
        const again = await store.acknowledge('1', ackB)
        if (again?.ack != null) again.ack.tokenId = 'stolen'
        const expected = { id: '1', ...event(), ack: ackA }
        expect(await store.get('1')).toEqual(expected)
        expect(await store.list({ zoneId: 'dam' })).toEqual([expected])
        expect(await store.list({ zoneId: 'changed' })).toEqual([])
      })

      it('keeps the stored acknowledgement from later changes to the one passed in', async () => {
        await appendAll([{}])
        const ack = { ...ackA }
        await store.acknowledge('1', ack)
        ack.by = 'someone-else'
        expect((await store.get('1'))?.ack).toEqual(ackA)
      })
    })

    describe('deleteBefore', () => {
      it('deletes events with time before `before`, counts them and keeps the rest', async () => {
        // Times 4 s, 0 s, 3 s, 1 s, 2 s after T0, in ids 1..5.
        await appendAll([4, 0, 3, 1, 2].map((s) => ({ time: iso(T0 + s * SECOND) })))
        expect(await store.deleteBefore(T0)).toBe(0)
        // The event at exactly `before` stays.
        expect(await store.deleteBefore(T0 + 2 * SECOND)).toBe(2)
        expect(await ids({ ascending: true })).toEqual(['1', '3', '5'])
        expect(await store.get('2')).toBeUndefined()
        expect(await store.deleteBefore(T0 + 2 * SECOND)).toBe(0)
        expect(await store.deleteBefore(T0 + 3 * SECOND + 1)).toBe(2)
        expect(await ids({})).toEqual(['1'])
      })

      it('never issues an id again, even when it deleted every event', async () => {
        await appendAll([{}, {}, {}])
        expect(await store.deleteBefore(T0 + SECOND)).toBe(3)
        expect(await store.list({})).toEqual([])
        expect((await store.append(event())).id).toBe('4')
        expect(await ids({ afterId: '3' })).toEqual(['4'])
      })

      it('refuses a non-finite cut-off with API_ERR_VALIDATION and deletes nothing', async () => {
        await appendAll([{}])
        await expect(store.deleteBefore(Number.NaN)).rejects.toMatchObject({ code: 'API_ERR_VALIDATION' })
        expect(await ids({})).toEqual(['1'])
      })
    })

    describe('untrusted text', () => {
      const nasty = ["dam'", "x'; DROP TABLE alert_events; --", 'a%', 'a_c', '"quoted"', 'back\\slash', '$1', '?', 'semi;colon', 'ünï\u{1F600}']

      it('stores and filters zone ids holding quotes, semicolons and other SQL metacharacters', async () => {
        await appendAll([...nasty.map((zoneId) => ({ zoneId })), { zoneId: 'abc' }, { zoneId: 'dam' }])
        for (const [i, zoneId] of nasty.entries()) {
          expect(await store.list({ zoneId })).toEqual([{ id: String(i + 1), ...event({ zoneId, count: i }) }])
        }
        // `%` and `_` are not wildcards: 'a%' and 'a_c' match themselves only.
        expect(await ids({ zoneId: 'a%' })).toEqual(['3'])
        expect(await ids({ zoneId: 'a_c' })).toEqual(['4'])
        expect(await ids({})).toHaveLength(nasty.length + 2)
        expect((await store.get('2'))?.zoneId).toBe(nasty[1])
      })

      it('keeps sensor ids and acknowledgement text exactly, quotes and all', async () => {
        const sensorIds = ["cam-'1'", 'cam-"2"', 'cam;3', 'cam\\4', 'cam\n5']
        const ack = { by: "O'Brien; --", tokenId: 'tok"\\', at: iso(T0) }
        await store.append(event({ sensorIds }))
        expect(await store.acknowledge('1', ack)).toEqual({ id: '1', ...event({ sensorIds }), ack })
        expect(await store.get('1')).toEqual({ id: '1', ...event({ sensorIds }), ack })
      })
    })

    describe('concurrency', () => {
      it('gives concurrent appends distinct ids, increasing in the order they were called', async () => {
        const appended = await Promise.all(Array.from({ length: 30 }, (_, i) => store.append(event({ count: i }))))
        expect(appended.map((e) => e.id)).toEqual(Array.from({ length: 30 }, (_, i) => String(i + 1)))
        expect(appended.map((e) => e.count)).toEqual(Array.from({ length: 30 }, (_, i) => i))
        expect((await store.list({ ascending: true })).map((e) => e.count)).toEqual(appended.map((e) => e.count))
      })

      it('keeps ids increasing when appends, acknowledgements and retention interleave', async () => {
        const ops = Array.from({ length: 10 }, (_, i) => [
          store.append(event({ count: i, time: iso(T0 + i * SECOND) })),
          store.acknowledge(String(i), ackA),
          store.deleteBefore(T0 + 3 * SECOND)
        ]).flat()
        await Promise.all(ops)
        expect(await ids({ ascending: true })).toEqual(['4', '5', '6', '7', '8', '9', '10'])
        // Each acknowledgement came right after the append of its id; id 10 had none.
        expect((await store.list({ ascending: true })).map((e) => e.ack?.by ?? null)).toEqual([...Array(6).fill(ackA.by), null])
        expect((await store.append(event())).id).toBe('11')
      })
    })

    describe('lifecycle', () => {
      it('rejects every call with STORE_ERR_UNAVAILABLE once closed, and closes twice', async () => {
        await appendAll([{}])
        await store.close()
        const unavailable = { code: 'STORE_ERR_UNAVAILABLE' }
        await expect(store.append(event())).rejects.toMatchObject(unavailable)
        await expect(store.list({})).rejects.toMatchObject(unavailable)
        await expect(store.get('1')).rejects.toMatchObject(unavailable)
        await expect(store.get('abc')).rejects.toMatchObject(unavailable)
        await expect(store.acknowledge('1', ackA)).rejects.toMatchObject(unavailable)
        await expect(store.acknowledge('abc', ackA)).rejects.toMatchObject(unavailable)
        await expect(store.deleteBefore(T0)).rejects.toMatchObject(unavailable)
        await expect(store.close()).resolves.toBeUndefined()
      })

      it('finishes appends already started when closed', async () => {
        const appends = Array.from({ length: 5 }, (_, i) => store.append(event({ count: i })))
        await store.close()
        expect((await Promise.all(appends)).map((e) => e.id)).toEqual(['1', '2', '3', '4', '5'])
        if (reopen !== undefined) {
          store = await reopen(store)
          expect(await ids({})).toEqual(['5', '4', '3', '2', '1'])
        }
      })
    })

    // Only for stores that keep something: one kept in memory has no restart to test.
    if (reopen !== undefined) {
      describe('after a restart', () => {
        const restart = async (): Promise<void> => {
          if (reopen !== undefined) store = await reopen(store)
        }

        it('keeps events and acknowledgements, continues ids above the old maximum, and still lets the first ack win', async () => {
          await appendAll(Array.from({ length: 12 }, (_, i) => ({ zoneId: i % 2 === 0 ? 'dam' : 'spui' })))
          await store.acknowledge('10', ackA)
          const before = await store.list({ ascending: true })
          await restart()
          expect(await store.list({ ascending: true })).toEqual(before)
          expect(await store.get('10')).toMatchObject({ id: '10', ack: ackA })
          expect(await ids({ afterId: '9', ascending: true })).toEqual(['10', '11', '12'])
          expect((await store.append(event())).id).toBe('13')
          expect(await store.acknowledge('10', ackB)).toMatchObject({ ack: ackA })
          await restart()
          expect((await store.append(event())).id).toBe('14')
          expect((await store.get('10'))?.ack).toEqual(ackA)
          expect(await ids({ zoneId: 'spui' })).toEqual(['12', '10', '8', '6', '4', '2'])
        })

        it('continues above an id whose event was the newest and has been deleted', async () => {
          await appendAll([{ time: iso(T0 + SECOND) }, { time: iso(T0) }])
          expect(await store.deleteBefore(T0 + SECOND)).toBe(1)
          await restart()
          expect((await store.append(event())).id).toBe('3')
          expect(await store.deleteBefore(T0 + 2 * SECOND)).toBe(2)
          await restart()
          expect((await store.append(event())).id).toBe('4')
          await restart()
          expect(await ids({})).toEqual(['4'])
          expect((await store.append(event())).id).toBe('5')
        })
      })
    }
  })
}

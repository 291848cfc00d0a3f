import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { KindDefinition } from '../../core/kind.js'
import type { TimeSeriesStore } from '../../core/ports/time-series-store.js'
import type { Aggregate, Reading } from '../../core/reading.js'
import { purgeExpired } from '../../ingest/retention.js'
import { DuckDbTimeSeriesStore } from '../../store/duckdb-time-series-store.js'
import { MemoryTimeSeriesStore } from '../../store/memory-time-series-store.js'

const DAY = 86_400_000
const NOW = Date.UTC(2024, 5, 1, 12, 0, 0)

const kind = (id: string, retentionDays: number): KindDefinition => ({
  id,
  title: id,
  description: 'A test kind',
  placement: 'fixed',
  dataModel: 'Test',
  fields: { v: { unit: 'count', description: 'a value', privacy: 'open' } },
  payloadSchema: { type: 'object', additionalProperties: false, properties: { v: { type: 'number' } } },
  windows: ['1m'],
  retentionDays,
  allowedLatenessS: 3600,
  expectedIntervalS: 60,
  privacy: { refuseIdentifiers: true }
})

const air = kind('air', 30)
const noise = kind('noise', 10)

const reading = (sensorId: string, time: number, kindId = 'air'): Reading =>
  ({ sensorId, kind: kindId, field: 'v', time, value: 1 })

const sensor = (id: string, kindId: string, retentionDays: number): { id: string, kind: string, retentionDays: number } =>
  ({ id, kind: kindId, retentionDays })

const stores: Array<[string, () => Promise<TimeSeriesStore>]> = [
  ['memory', async () => new MemoryTimeSeriesStore()],
  ['duckdb (:memory:)', () => DuckDbTimeSeriesStore.open(':memory:')]
]

for (const [name, open] of stores) {
  describe(`purgeExpired on the ${name} store`, () => {
    let store: TimeSeriesStore

    beforeEach(async () => {
      store = await open()
    })

    afterEach(async () => {
      await store.close()
    })

    const left = async (): Promise<Array<[string, string, number]>> =>
      (await store.readings({ from: 0, to: NOW + DAY })).map((r) => [r.kind, r.sensorId, (NOW - r.time) / DAY])

    it('deletes raw readings older than their kind\'s retention, of that kind only', async () => {
      await store.writeReadings([
        reading('s1', NOW - 31 * DAY),
        reading('s1', NOW - 30 * DAY - 1),
        reading('s1', NOW - 30 * DAY),
        reading('s1', NOW - DAY),
        reading('n1', NOW - 31 * DAY, 'noise'),
        reading('w1', NOW - 400 * DAY, 'water')
      ])
      expect(await purgeExpired(store, [air], [], NOW)).toEqual([{ kind: 'air', retentionDays: 30, deleted: 2 }])
      expect(await left()).toEqual([
        ['noise', 'n1', 31],
        ['air', 's1', 30],
        ['air', 's1', 1],
        ['water', 'w1', 400]
      ])
      expect(await purgeExpired(store, [air, noise], [], NOW)).toEqual([
        { kind: 'air', retentionDays: 30, deleted: 0 },
        { kind: 'noise', retentionDays: 10, deleted: 1 }
      ])
    })

    it('deletes the readings of a sensor with a shorter retention while another of its kind keeps them', async () => {
      await store.writeReadings([
        reading('short', NOW - 8 * DAY),
        reading('short', NOW - 7 * DAY - 1),
        reading('short', NOW - 7 * DAY),
        reading('short', NOW - DAY),
        reading('long', NOW - 8 * DAY),
        reading('long', NOW - 7 * DAY - 1),
        reading('long', NOW - 31 * DAY)
      ])
      const sensors = [sensor('long', 'air', 30), sensor('short', 'air', 7)]
      expect(await purgeExpired(store, [air], sensors, NOW)).toEqual([
        { kind: 'air', retentionDays: 30, deleted: 1 },
        { kind: 'air', retentionDays: 7, sensors: 1, deleted: 2 }
      ])
      expect(await left()).toEqual([
        ['air', 'long', 8],
        ['air', 'long', 7 + 1 / DAY],
        ['air', 'short', 7],
        ['air', 'short', 1]
      ])
    })

    it('keeps stored aggregates of the sensors it purges', async () => {
      const stored: Aggregate = { sensorId: 'short', kind: 'air', field: 'v', window: '1d', start: NOW - 20 * DAY, count: 3, sum: 3, min: 1, max: 1 }
      await store.writeReadings([reading('short', NOW - 20 * DAY)])
      await store.writeAggregates([stored])
      expect(await purgeExpired(store, [air], [sensor('short', 'air', 7)], NOW)).toEqual([
        { kind: 'air', retentionDays: 30, deleted: 0 },
        { kind: 'air', retentionDays: 7, sensors: 1, deleted: 1 }
      ])
      expect(await left()).toEqual([])
      expect(await store.aggregates({ window: '1d', from: 0, to: NOW, source: 'auto' })).toEqual([stored])
    })
  })
}

describe('purgeExpired grouping', () => {
  it('makes one store call per kind and one per (kind, shorter retention), with that cutoff', async () => {
    const store = new MemoryTimeSeriesStore()
    const calls: Array<[string, number, readonly string[] | undefined]> = []
    const deleteReadingsBefore = store.deleteReadingsBefore.bind(store)
    store.deleteReadingsBefore = async (kindId, before, sensorIds) => {
      calls.push([kindId, (NOW - before) / DAY, sensorIds])
      return deleteReadingsBefore(kindId, before, sensorIds)
    }
    await store.writeReadings([reading('a', NOW - 8 * DAY), reading('b', NOW - 8 * DAY), reading('c', NOW - 8 * DAY)])
    const sensors = [
      sensor('a', 'air', 7),
      sensor('b', 'air', 3),
      sensor('c', 'air', 7),
      sensor('d', 'air', 30),
      sensor('e', 'noise', 7),
      // A kind that is not purged: its sensors are left alone.
      sensor('f', 'water', 1)
    ]
    const results = await purgeExpired(store, [air, noise], sensors, NOW)
    expect(calls).toEqual([
      ['air', 30, undefined],
      ['air', 3, ['b']],
      ['air', 7, ['a', 'c']],
      ['noise', 10, undefined],
      ['noise', 7, ['e']]
    ])
    expect(results).toEqual([
      { kind: 'air', retentionDays: 30, deleted: 0 },
      { kind: 'air', retentionDays: 3, sensors: 1, deleted: 1 },
      { kind: 'air', retentionDays: 7, sensors: 2, deleted: 2 },
      { kind: 'noise', retentionDays: 10, deleted: 0 },
      { kind: 'noise', retentionDays: 7, sensors: 1, deleted: 0 }
    ])
    await store.close()
  })
})

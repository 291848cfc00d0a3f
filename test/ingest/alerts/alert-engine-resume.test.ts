import { describe, expect, it } from 'vitest'
import type { AlertEvent } from '../../../core/alerts.js'
import type { Reading } from '../../../core/reading.js'
import type { Sensor, Zone } from '../../../core/sensor.js'
import { AlertEngine } from '../../../ingest/alerts/alert-engine.js'
import { MemoryAlertStore } from '../../../store/memory-alert-store.js'

/**
 * A process that takes the alert engine over (issue #9: the jobs lease moved, or the
 * all-in-one process restarted) resumes from the stores: the zone stays at the level the
 * previous holder raised, and a monitor it reported silent is not reported again.
 */
const T0 = Date.UTC(2024, 5, 1, 20)
const MIN = 60_000
const zone: Zone = {
  id: 'plein',
  name: 'Plein',
  geometry: { type: 'Polygon', coordinates: [[[5.1, 52.1], [5.2, 52.1], [5.2, 52.2], [5.1, 52.1]]] },
  areaM2: 100,
  createdAt: new Date(T0).toISOString(),
  updatedAt: new Date(T0).toISOString()
}
const monitors = ['m1', 'm2'].map((id) => ({ id }) as Sensor)

function engine (store: MemoryAlertStore): AlertEngine {
  return new AlertEngine({
    zones: () => [zone],
    monitorsOf: () => monitors,
    store,
    countField: 'peopleCount',
    expectedIntervalMs: MIN,
    hysteresis: 0.1,
    minDurationMs: 0
  })
}

const count = (sensorId: string, time: number, value: number): Reading => ({ sensorId, kind: 'crowd', field: 'peopleCount', time, value })

async function raisedBy (previous: AlertEngine, store: MemoryAlertStore): Promise<AlertEvent[]> {
  // 100 m2 at the default thresholds: 120 people is critical; m2 falls silent.
  previous.observe([count('m1', T0, 10), count('m2', T0, 10)])
  await previous.tick(T0)
  previous.observe([count('m1', T0 + 3 * MIN, 120)])
  await previous.tick(T0 + 3 * MIN)
  return store.list({ ascending: true })
}

describe('AlertEngine.resume', () => {
  it('keeps the level and silent monitors the stored events give, so nothing is raised twice', async () => {
    const store = new MemoryAlertStore()
    const before = await raisedBy(engine(store), store)
    expect(before.map((e) => [e.type, e.level])).toEqual([['no-signal', 'normal'], ['level', 'critical']])
    expect(before[0]!.sensorIds).toEqual(['m2'])

    const next = engine(store)
    next.resume([count('m1', T0 + 3 * MIN, 120), count('m2', T0, 10)], await store.list({ limit: 1000 }))
    await next.tick(T0 + 4 * MIN)
    expect((await store.list({ ascending: true })).length).toBe(before.length)
    expect(next.states()[0]).toMatchObject({ zoneId: 'plein', level: 'critical', silentSensorIds: ['m2'], levelSince: new Date(T0 + 3 * MIN).toISOString() })

    // It goes on from there: m2 reports again, the crowd thins out.
    next.observe([count('m2', T0 + 5 * MIN, 0), count('m1', T0 + 5 * MIN, 10)])
    await next.tick(T0 + 5 * MIN)
    const after = (await store.list({ ascending: true })).slice(before.length)
    expect(after.map((e) => [e.type, e.previousLevel, e.level])).toEqual([['signal', 'critical', 'critical'], ['level', 'critical', 'normal']])
  })

  it('without resume, a new holder raises the same alerts again (what resume prevents)', async () => {
    const store = new MemoryAlertStore()
    const before = await raisedBy(engine(store), store)
    const next = engine(store)
    next.observe([count('m1', T0 + 3 * MIN, 120), count('m2', T0, 10)])
    await next.tick(T0 + 4 * MIN)
    const again = (await store.list({ ascending: true })).slice(before.length)
    expect(again.map((e) => e.type).sort()).toEqual(['level', 'no-signal'])
  })

  it('keeps counts heard while waiting when they are newer than the stored ones', async () => {
    const store = new MemoryAlertStore()
    const next = engine(store)
    next.observe([count('m1', T0 + 2 * MIN, 30), count('m2', T0 + 2 * MIN, 30)])
    next.resume([count('m1', T0, 5), count('m2', T0, 5)], [])
    await next.tick(T0 + 2 * MIN)
    expect(next.states()[0]).toMatchObject({ count: 60, level: 'busy' })
  })
})

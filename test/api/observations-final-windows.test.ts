import pino from 'pino'
import { Registry as MetricsRegistry } from 'prom-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp, type App } from '../../api/build-app.js'
import type { AppDeps } from '../../api/deps.js'
import { ROLLUP_MARGIN_MS } from '../../api/final-windows.js'
import type { SensorRegistration } from '../../core/sensor.js'
import { loadKinds } from '../../registry/kind-catalog.js'
import { MemoryRegistryStore } from '../../registry/memory-registry-store.js'
import { Registry } from '../../registry/registry.js'
import { MemoryTimeSeriesStore } from '../../store/memory-time-series-store.js'

/**
 * /v1/observations aggregates around the rollup: a reading the rollup job has not seen yet is
 * in the answer at once, computed from the raw readings; a window past the kind's allowed
 * lateness (plus the rollup margin) is answered as the rollup stored it, and raw readings are
 * no longer read for it.
 */
const MIN = 60_000
const DAY = 24 * 60 * MIN
// 12:07:30 UTC, a fixed clock.
const NOW = Date.UTC(2026, 10, 30, 12, 7, 30)
const LATENESS_MS = 86_400_000 // wastebin.json allowedLatenessS
const bin = (id: string): SensorRegistration => ({
  id, kind: 'wastebin', name: id, owner: 'Gemeente Utrecht', purpose: 'Collection rounds', legalBasis: 'Public task', dpiaRef: 'DPIA-2', processesPersonalData: false, public: true, location: { lat: 52.09, lon: 5.12 }
})
const level = (time: number, value: number) => ({ sensorId: 'bin-1', kind: 'wastebin', field: 'fillingLevel', time, value })
const minute = (t: number) => t - (t % MIN)

describe('GET /v1/observations aggregates and the rollup', () => {
  let app: App
  let store: MemoryTimeSeriesStore

  const means = async (from: number, to: number) => {
    const res = await app.inject({ method: 'GET', url: `/v1/observations?sensor=bin-1&field=fillingLevel&window=1m&fn=mean&from=${from / 1000}&to=${to / 1000}` })
    expect(res.statusCode, res.body).toBe(200)
    return (res.json().data as Array<{ time: string, value: number, count: number }>).map((d) => [d.time, d.value, d.count])
  }
  const iso = (ms: number) => new Date(ms).toISOString()

  beforeAll(async () => {
    const registry = await Registry.open(new MemoryRegistryStore(), loadKinds(), {})
    await registry.registerSensor(bin('bin-1'))
    store = new MemoryTimeSeriesStore()
    const deps: Pick<AppDeps, 'registry' | 'store' | 'metrics' | 'logger' | 'now'> = { registry, store, metrics: new MetricsRegistry(), logger: pino({ level: 'silent' }), now: () => NOW }
    app = await buildApp(deps as AppDeps, { topicRoot: 'utrecht/v1' })
  })
  afterAll(async () => { await app.close() })

  it('shows a reading written a moment ago, before any rollup', async () => {
    await store.writeReadings([level(NOW - 5_000, 42)])
    expect(await means(NOW - 10 * MIN, NOW)).toEqual([[iso(minute(NOW - 5_000)), 42, 1]])
  })

  it('computes a window still inside the allowed lateness from readings where nothing is stored', async () => {
    const t = NOW - LATENESS_MS + 10 * MIN
    await store.writeReadings([level(t, 30), level(t + 1_000, 50)])
    expect(await means(minute(t), minute(t) + MIN)).toEqual([[iso(minute(t)), 40, 2]])
  })

  it('answers a final window as the rollup stored it, without reading raw readings for it', async () => {
    const t = NOW - LATENESS_MS - ROLLUP_MARGIN_MS - 2 * MIN
    // Stored differs from the readings, and one final window has readings but nothing stored.
    await store.writeReadings([level(t, 10), level(t + MIN, 70)])
    await store.writeAggregates([{ sensorId: 'bin-1', kind: 'wastebin', field: 'fillingLevel', window: '1m', start: minute(t), count: 4, sum: 80, min: 10, max: 30 }])
    expect(await means(minute(t), minute(t) + 2 * MIN)).toEqual([[iso(minute(t)), 20, 4]])
  })

  it('answers a range that spans both from each source', async () => {
    const from = NOW - 2 * DAY
    const rows = await means(from, NOW + 1)
    expect(rows.map(([time]) => time)).toEqual([
      iso(minute(NOW - LATENESS_MS - ROLLUP_MARGIN_MS - 2 * MIN)),
      iso(minute(NOW - LATENESS_MS + 10 * MIN)),
      iso(minute(NOW - 5_000))
    ])
  })
})

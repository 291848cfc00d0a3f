import { describe, expect, it } from 'vitest'
import type { LiveItem } from '../../api/live-feed.js'
import { LiveFeed } from '../../api/live-feed.js'
import type { Reading } from '../../core/reading.js'
import { MemoryGridStore } from '../../store/memory-grid-store.js'
import { MemoryTimeSeriesStore } from '../../store/memory-time-series-store.js'
import { MemoryRegistryStore } from '../../registry/memory-registry-store.js'
import { Registry } from '../../registry/registry.js'
import { kinds } from '../registry/registry-harness.js'

/** LiveFeed.push, the stage every stored message passes: what of it the public may see live. */
describe('LiveFeed.push', () => {
  const register = async (registry: Registry, kind: string, id: string, extra: object = {}): Promise<void> => {
    await registry.registerSensor({
      id,
      kind,
      name: id,
      owner: 'Gemeente Utrecht',
      purpose: 'Testing the live feed',
      legalBasis: 'Public task (AVG art. 6.1e)',
      dpiaRef: 'DPIA-TEST-1',
      processesPersonalData: false,
      public: true,
      location: { lat: 52.0907, lon: 5.1214 },
      ...extra
    })
  }

  it('sends each open reading of a public fixed sensor with its own time, sensor and unit, and nothing else', async () => {
    const registry = await Registry.open(new MemoryRegistryStore(), kinds)
    await register(registry, 'wastebin', 'bin-a')
    await register(registry, 'wastebin', 'bin-b')
    await register(registry, 'wastebin', 'bin-hidden', { public: false })
    await register(registry, 'snuffelfiets', 'bike-a', { location: undefined })
    const live = new LiveFeed({ registry, store: new MemoryTimeSeriesStore(), grid: new MemoryGridStore() })
    const items: LiveItem[] = []
    live.subscribe((item) => items.push(item))

    const t = Date.UTC(2026, 10, 30, 8, 0, 0)
    const reading = (sensorId: string, kind: string, field: string, time: number, value: number): Reading => ({ sensorId, kind, field, time, value })
    live.push([
      reading('bin-a', 'wastebin', 'fillingLevel', t, 40),
      reading('bin-a', 'wastebin', 'fillingLevel', t + 60_000, 41),
      reading('bin-hidden', 'wastebin', 'fillingLevel', t, 90),
      reading('bin-b', 'wastebin', 'fillingLevel', t + 60_000, 12),
      reading('bike-a', 'snuffelfiets', 'pm25', t, 9),
      reading('bin-a', 'wastebin', 'fillingLevel', t, 42)
    ])

    expect(items.map((i) => [i.topic, i.data])).toEqual([
      ['wastebin/bin-a/fillingLevel', { sensorId: 'bin-a', kind: 'wastebin', field: 'fillingLevel', unit: '%', time: '2026-11-30T08:00:00.000Z', value: 40 }],
      ['wastebin/bin-a/fillingLevel', { sensorId: 'bin-a', kind: 'wastebin', field: 'fillingLevel', unit: '%', time: '2026-11-30T08:01:00.000Z', value: 41 }],
      ['wastebin/bin-b/fillingLevel', { sensorId: 'bin-b', kind: 'wastebin', field: 'fillingLevel', unit: '%', time: '2026-11-30T08:01:00.000Z', value: 12 }],
      ['wastebin/bin-a/fillingLevel', { sensorId: 'bin-a', kind: 'wastebin', field: 'fillingLevel', unit: '%', time: '2026-11-30T08:00:00.000Z', value: 42 }]
    ])
  })
})

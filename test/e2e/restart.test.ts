import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { api, connectSensor, registerSensor, startTestPlatform, topic } from '../helpers/platform.js'

describe('restart', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sensorstad-restart-'))
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }))

  it('keeps registered sensors, zones, credentials and stored readings', async () => {
    const first = await startTestPlatform({ dataDir })
    const bin = await registerSensor(first, 'wastebin', 'bin-restart')
    await registerSensor(first, 'crowd', 'crowd-restart')
    const client = await connectSensor(first, bin)
    const time = Math.floor(Date.now() / 1000) - 120
    await client.publishAsync(topic(bin, 'json'), JSON.stringify({ fillingLevel: 77, time }), { qos: 1 })
    // Closing does not wait for connected sensors to leave.
    const started = Date.now()
    await first.close()
    expect(Date.now() - started).toBeLessThan(3_000)
    client.end(true)

    const second = await startTestPlatform({ dataDir })
    try {
      const sensors = await api(second, 'GET', '/v1/sensors', undefined, null)
      expect(sensors.body.data.map((s: { id: string }) => s.id)).toEqual(['bin-restart', 'crowd-restart'])
      expect((await api(second, 'GET', '/v1/zones', undefined, null)).body.data.map((z: { id: string }) => z.id)).toEqual(['vredenburg'])
      const latest = await api(second, 'GET', '/v1/latest?sensor=bin-restart', undefined, null)
      expect(latest.body.data).toEqual([expect.objectContaining({ field: 'fillingLevel', value: 77, time: new Date(time * 1000).toISOString() })])
      // The secret issued before the restart still works, and new readings still land.
      const again = await connectSensor(second, bin)
      await again.publishAsync(topic(bin, 'json'), JSON.stringify({ fillingLevel: 78 }), { qos: 1 })
      await again.endAsync()
      const obs = await api(second, 'GET', '/v1/observations?sensor=bin-restart', undefined, null)
      expect(obs.body.data.map((o: { value: number }) => o.value)).toEqual([77, 78])
    } finally {
      await second.close()
    }
  })
})

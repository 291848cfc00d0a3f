import mqtt from 'mqtt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WINDOW_MS, windowStart } from '../../core/windows.js'
import { connectSensor, registerSensor, startTestPlatform, topic, type RegisteredSensor, type TestPlatform } from '../helpers/platform.js'
import { openSse, type SseClient } from '../helpers/sse.js'

/**
 * Live open data (issue #6 item 6): an SSE client and an anonymous MQTT client both receive
 * what the public may see as it happens, and nothing else; the anonymous client is refused
 * everywhere outside open/.
 */
describe('live open data', () => {
  let p: TestPlatform
  let bin: RegisteredSensor
  let hidden: RegisteredSensor
  let bike: RegisteredSensor
  let crowd: RegisteredSensor
  let sse: SseClient
  let reader: mqtt.MqttClient
  const heard: Array<{ topic: string, data: any }> = []

  beforeAll(async () => {
    p = await startTestPlatform()
    bin = await registerSensor(p, 'wastebin', 'bin-live')
    hidden = await registerSensor(p, 'wastebin', 'bin-private', { public: false })
    bike = await registerSensor(p, 'snuffelfiets', 'bike-live')
    crowd = await registerSensor(p, 'crowd', 'crowd-live')
    sse = await openSse(`http://127.0.0.1:${p.httpPort}/v1/live`, {})
    reader = await mqtt.connectAsync({ host: '127.0.0.1', port: p.mqttPort, clientId: 'open-reader-1', reconnectPeriod: 0 })
    reader.on('message', (t, payload) => heard.push({ topic: t, data: JSON.parse(payload.toString()) }))
    await reader.subscribeAsync('open/v1/#')
  })
  afterAll(async () => {
    sse?.close()
    reader?.end(true)
    await p.destroy()
  })

  it('sends a public bin\'s reading to SSE and to anonymous MQTT readers, and nothing of others', async () => {
    for (const [sensor, body] of [[hidden, { fillingLevel: 11 }], [bike, { pm25: 9, lat: 52.09, lon: 5.12, trip: 1 }], [crowd, { peopleCount: 7 }], [bin, { fillingLevel: 64 }]] as const) {
      const client = await connectSensor(p, sensor)
      await client.publishAsync(topic(sensor, 'json'), JSON.stringify(body), { qos: 1 })
      await client.endAsync()
    }
    const events = await sse.until((e) => e.some((x) => x.event === 'observation'))
    const observations = events.filter((e) => e.event === 'observation').map((e) => JSON.parse(e.data))
    expect(observations).toEqual([expect.objectContaining({ sensorId: bin.id, field: 'fillingLevel', value: 64, unit: '%' })])
    await waitFor(() => heard.length > 0)
    expect(heard.map((h) => [h.topic, h.data.value])).toEqual([[`open/v1/wastebin/${bin.id}/fillingLevel`, 64]])
  })

  it('sends public crowd counts per zone once their window has closed and lagged', async () => {
    // A window a day ahead of the platform's own crowd tick (every minute at :20): had that
    // tick already passed this window, there would be nothing new for this test's tick to
    // send. A day, not one window, so that the crowd reading of the test before, stamped with
    // its arrival, cannot fall into it when a quarter hour turns between the two tests.
    const now = Date.now() + 24 * 3_600_000
    const start = windowStart('15m', now - 900_000) - WINDOW_MS['15m']
    // That window is older than the kind's allowed lateness, so MQTT would refuse readings for it.
    await p.store.writeReadings([40, 44].map((value, i) => ({ sensorId: crowd.id, kind: 'crowd', field: 'peopleCount', time: start + i * 60_000, value })))
    await p.live.tick(now)
    const events = await sse.until((e) => e.some((x) => x.event === 'crowd'))
    expect(events.filter((e) => e.event === 'crowd').map((e) => JSON.parse(e.data))).toEqual([
      { zone: 'vredenburg', start: new Date(start).toISOString(), window: '15m', count: 42, suppressed: false }
    ])
    await waitFor(() => heard.some((h) => h.topic === 'open/v1/crowd/vredenburg'))
    // A second tick in the same window sends nothing new.
    await p.live.tick(now)
    expect(sse.events.filter((e) => e.event === 'crowd')).toHaveLength(1)
  })

  it('sends a bicycle grid cell-hour once enough rides and devices passed, never per ride', async () => {
    const hour = windowStart('1h', Date.now() - 2 * 3_600_000)
    const cell = 'rd100m-136700-455800'
    const rides = (n: number, device: string) => Array.from({ length: n }, (_, i) => ({ kind: 'snuffelfiets', cell, start: hour, field: 'pm25', ride: `${device}-ride-${i}`, device, count: 3, sum: 30, min: 9, max: 11 }))
    // Four rides of one device: under the thresholds (5 rides, 2 devices), nothing goes out.
    await p.grid.writeContributions(rides(4, 'device-a'))
    await p.live.tick(Date.now())
    await p.grid.writeContributions(rides(1, 'device-b'))
    await p.live.tick(Date.now())
    const events = await sse.until((e) => e.some((x) => x.event === 'grid'))
    const grid = events.filter((e) => e.event === 'grid').map((e) => JSON.parse(e.data))
    expect(grid).toEqual([{ cell, start: new Date(hour).toISOString(), field: 'pm25', unit: 'ug/m3', mean: 10, min: 9, max: 11, count: 15 }])
    expect(JSON.stringify(grid)).not.toMatch(/device-|ride-/)
    await waitFor(() => heard.some((h) => h.topic === `open/v1/snuffelfiets/grid/${cell}/pm25`))
    await p.live.tick(Date.now())
    expect(sse.events.filter((e) => e.event === 'grid')).toHaveLength(1)
  })

  it('refuses anonymous readers outside open/, and any publish', async () => {
    for (const t of ['#', 'utrecht/v1/#', `utrecht/v1/wastebin/${bin.id}/errors`, 'open/']) {
      await expect(reader.subscribeAsync(t), t).rejects.toThrow()
    }
    const writer = await mqtt.connectAsync({ host: '127.0.0.1', port: p.mqttPort, clientId: 'open-writer', reconnectPeriod: 0 })
    const gone = new Promise<void>((resolve) => writer.once('close', () => resolve()))
    writer.publish('open/v1/wastebin/fake/fillingLevel', '{"value":1}', { qos: 1 })
    await gone
    writer.end(true)
    // Without the prefix, a client with no credentials is a sensor without a secret: refused.
    const refused = await new Promise<number | undefined>((resolve) => {
      const c = mqtt.connect({ host: '127.0.0.1', port: p.mqttPort, clientId: 'reader', reconnectPeriod: 0 })
      c.on('error', (err) => { c.end(true); resolve((err as { code?: number }).code) })
      c.on('connect', () => { c.end(true); resolve(0) })
    })
    expect(refused).toBe(4)
  })
})

async function waitFor (check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error('not in time')
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

describe('anonymous readers reconnecting', () => {
  it('keep their access when they reconnect with the same client id', async () => {
    const p = await startTestPlatform()
    try {
      const first = await mqtt.connectAsync({ host: '127.0.0.1', port: p.mqttPort, clientId: 'open-same', reconnectPeriod: 0 })
      const firstGone = new Promise<void>((resolve) => first.once('close', () => resolve()))
      const second = await mqtt.connectAsync({ host: '127.0.0.1', port: p.mqttPort, clientId: 'open-same', reconnectPeriod: 0 })
      await firstGone
      const granted = await second.subscribeAsync('open/v1/#')
      expect(granted.map((g) => g.qos)).toEqual([0])
      first.end(true)
      await second.endAsync()
    } finally {
      await p.destroy()
    }
  })
})

import mqtt from 'mqtt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api, closed, connectSensor, eventually, registerSensor, startTestPlatform, topic, type RegisteredSensor, type TestPlatform } from '../helpers/platform.js'

/**
 * The broker's limits over real sockets: a sensor publishing past its kind's burst is closed
 * while others keep publishing, and credential guessing is refused for a window.
 */
const WINDOW_S = 3

describe('broker limits', () => {
  let p: TestPlatform
  let flood: RegisteredSensor
  let calm: RegisteredSensor
  let guessed: RegisteredSensor

  beforeAll(async () => {
    p = await startTestPlatform({ env: { MQTT_AUTH_WINDOW_S: String(WINDOW_S), MQTT_AUTH_FAILURES_PER_MIN: '10', MQTT_PUBLISH_RATE_LIMIT: 'true' } })
    flood = await registerSensor(p, 'wastebin', 'bin-flood')
    calm = await registerSensor(p, 'wastebin', 'bin-calm')
    guessed = await registerSensor(p, 'wastebin', 'bin-guessed')
  })
  afterAll(async () => { await p.destroy() })

  async function metric (pattern: RegExp): Promise<number> {
    const text = (await api(p, 'GET', '/metrics', undefined, null)).text
    return Number(pattern.exec(text)?.[1] ?? 0)
  }

  function connectCode (options: mqtt.IClientOptions): Promise<number> {
    return new Promise((resolve) => {
      const client = mqtt.connect({ host: '127.0.0.1', port: p.mqttPort, reconnectPeriod: 0, connectTimeout: 3_000, ...options })
      client.on('connect', () => { client.end(true); resolve(0) })
      client.on('error', (err) => { client.end(true); resolve((err as { code?: number }).code ?? -1) })
    })
  }

  it('closes a sensor flooding past its burst while another keeps publishing', async () => {
    const startS = Math.floor(Date.now() / 1000) - 3600
    const calmClient = await connectSensor(p, calm)
    const floodClient = await connectSensor(p, flood)
    const isClosed = closed(floodClient)
    // wastebin.json: burst 100, refilled at 6 a minute, so the 101st message in a rush is over.
    for (let i = 0; i < 150; i++) floodClient.publish(topic(flood, 'json'), JSON.stringify({ fillingLevel: i % 100, time: startS + i }), { qos: 0 })
    await isClosed
    floodClient.end(true)
    for (let i = 0; i < 3; i++) {
      await calmClient.publishAsync(topic(calm, 'json'), JSON.stringify({ fillingLevel: 10 + i, time: startS + i }), { qos: 1 })
    }
    await calmClient.endAsync()
    await eventually(async () => {
      const obs = await api(p, 'GET', `/v1/observations?sensor=${calm.id}`, undefined, null)
      return obs.body.data.length === 3 ? true : undefined
    })
    expect(await metric(/sensorstad_mqtt_rate_limited_total\{kind="wastebin"\} (\d+)/)).toBeGreaterThanOrEqual(1)
    // Stored no more than its burst: the rest never reached ingest.
    const stored = await eventually(async () => (await api(p, 'GET', `/v1/observations?sensor=${flood.id}&limit=1000`, undefined, null)).body.data)
    expect(stored.length).toBeLessThanOrEqual(100)
  })

  it('refuses every CONNECT for a guessed user name and its IP until the window passes', async () => {
    const wrong = { clientId: guessed.id, username: guessed.id, password: 'wrong' }
    const right = { clientId: guessed.id, username: guessed.id, password: guessed.password }
    const before = await metric(/sensorstad_mqtt_auth_throttled_total\{reason="ip"\} (\d+)/)
    const started = Date.now()
    // Ten at once: all are counted, none is yet refused for the count.
    expect(await Promise.all(Array.from({ length: 10 }, () => connectCode(wrong)))).toEqual(Array(10).fill(4))
    // The window opened at the first failure, before this.
    const failedBy = Date.now()
    expect(await connectCode(wrong)).toBe(5)
    expect(await connectCode(right)).toBe(5)
    // The IP is blocked too: another sensor's right secret from 127.0.0.1 is refused.
    expect(await connectCode({ clientId: calm.id, username: calm.id, password: calm.password })).toBe(5)
    expect(Date.now() - started).toBeLessThan(WINDOW_S * 1000)
    expect(await metric(/sensorstad_mqtt_auth_throttled_total\{reason="ip"\} (\d+)/)).toBe(before + 3)
    await new Promise((resolve) => setTimeout(resolve, WINDOW_S * 1000 - (Date.now() - failedBy) + 100))
    expect(await connectCode(right)).toBe(0)
  })
})

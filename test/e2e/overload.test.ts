import mqtt from 'mqtt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api, connectSensor, registerSensor, startTestPlatform, topic, type RegisteredSensor, type TestPlatform } from '../helpers/platform.js'

/**
 * Overload (issue #7 item 7): twenty sensors flood far past any sustainable rate while an
 * anonymous reader listens to the open feed. The process must stay up with memory bounded,
 * push the flooders back (the per-sensor token bucket disconnects them; ingest holds PUBACKs
 * when writes lag), and serve an honest sensor again as soon as the flood ends.
 */
const FLOODERS = 20
const MESSAGES_EACH = 2_000

describe('overload', () => {
  let p: TestPlatform
  let honest: RegisteredSensor
  const flooders: RegisteredSensor[] = []

  beforeAll(async () => {
    p = await startTestPlatform({ env: { MQTT_PUBLISH_RATE_LIMIT: 'true' } })
    honest = await registerSensor(p, 'wastebin', 'bin-honest-overload')
    for (let i = 0; i < FLOODERS; i++) flooders.push(await registerSensor(p, 'wastebin', `bin-flood-${i}`))
  })
  afterAll(async () => { await p.destroy() })

  it('stays up with bounded memory, pushes the flood back, and serves again afterwards', async () => {
    const reader = await mqtt.connectAsync({ host: '127.0.0.1', port: p.mqttPort, clientId: 'open-overload-reader', reconnectPeriod: 0 })
    const heard: string[] = []
    reader.on('message', (t) => { heard.push(t) })
    await reader.subscribeAsync('open/v1/#')

    const rssBefore = process.memoryUsage().rss
    let rssPeak = rssBefore
    const sampler = setInterval(() => { rssPeak = Math.max(rssPeak, process.memoryUsage().rss) }, 50)
    const started = Date.now()
    const t0 = Date.now() - 60_000
    // Each flooder writes its whole burst at once, QoS 0 and 1 mixed, bounded in count and time.
    const results = await Promise.all(flooders.map(async (sensor, f) => {
      const client = await connectSensor(p, sensor)
      const state = { dropped: false }
      client.on('close', () => { state.dropped = true })
      for (let i = 0; i < MESSAGES_EACH && !state.dropped && Date.now() - started < 10_000; i++) {
        client.publish(topic(sensor, 'json'), JSON.stringify({ fillingLevel: i % 100, time: new Date(t0 + f * MESSAGES_EACH + i).toISOString() }), { qos: (i % 2) as 0 | 1 })
        if (i % 200 === 0) await new Promise((resolve) => setImmediate(resolve))
      }
      await new Promise((resolve) => setTimeout(resolve, 200))
      client.end(true)
      return state.dropped
    }))
    clearInterval(sampler)

    // Every flooder went past its burst of 100 and was cut off.
    expect(results.every((dropped) => dropped)).toBe(true)
    expect(rssPeak - rssBefore).toBeLessThan(200 * 1024 * 1024)
    expect((await api(p, 'GET', '/healthz', undefined, null)).status).toBe(200)
    const metrics = await api(p, 'GET', '/metrics', undefined, null)
    expect(Number(/sensorstad_mqtt_rate_limited_total\{kind="wastebin"\} (\d+)/.exec(metrics.text)?.[1])).toBeGreaterThanOrEqual(FLOODERS)

    // The flood is over: an honest sensor is acknowledged and stored, and the reader still hears.
    const client = await connectSensor(p, honest)
    await client.publishAsync(topic(honest, 'json'), JSON.stringify({ fillingLevel: 77 }), { qos: 1 })
    await client.endAsync()
    const latest = await api(p, 'GET', `/v1/latest?sensor=${honest.id}`, undefined, null)
    expect(latest.body.data).toEqual([expect.objectContaining({ field: 'fillingLevel', value: 77 })])
    const honestTopic = `open/v1/wastebin/${honest.id}/fillingLevel`
    const deadline = Date.now() + 3_000
    while (!heard.includes(honestTopic) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20))
    expect(heard).toContain(honestTopic)
    reader.end(true)
  }, 60_000)
})

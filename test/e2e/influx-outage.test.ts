import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ADMIN_TOKEN, api, connectSensor, registerSensor, startTestPlatform, topic, type TestPlatform } from '../helpers/platform.js'
import { hasInfluxd, requireInfluxdInCi, startInfluxd, type Influxd } from '../helpers/influxd.js'

/**
 * InfluxDB goes away for 30 s in the middle of a numbered QoS 1 stream from a real MQTT
 * client, then comes back. Every reading whose PUBACK arrived is stored exactly once,
 * `/readyz` says not ready while it is away, and memory stays bounded meanwhile.
 */
requireInfluxdInCi()

describe.runIf(hasInfluxd)('InfluxDB outage', () => {
  let server: Influxd
  let p: TestPlatform
  const database = `outage_${process.pid}`

  beforeAll(async () => {
    server = await startInfluxd()
    p = await startTestPlatform({ env: { INFLUX_URL: server.url, INFLUX_DB: database, INFLUX_TIMEOUT_MS: '2000' } })
  }, 30_000)
  afterAll(async () => {
    await p?.destroy()
    await server?.destroy()
  })

  it('stores every acknowledged reading exactly once after a 30 s outage', async () => {
    const bin = await registerSensor(p, 'wastebin', 'bin-outage')
    const client = await connectSensor(p, bin, { keepalive: 120 })
    const t0 = Date.now() - 60_000
    const acked = new Set<number>()
    const sends: Array<Promise<unknown>> = []
    const rssBefore = process.memoryUsage().rss
    let rssPeak = rssBefore
    let notReadySeen = false
    let maxPending = 0

    const publish = (i: number): void => {
      // Numbered by time (one ms apart) and value: each reading is its own key.
      sends.push(client.publishAsync(topic(bin, 'json'), JSON.stringify({ fillingLevel: i % 100, battery: (i * 7) % 100, time: new Date(t0 + i).toISOString() }), { qos: 1 })
        .then(() => { acked.add(i) }, () => {}))
    }
    const stream = async (from: number, to: number, pauseMs: number): Promise<void> => {
      for (let i = from; i < to; i++) {
        publish(i)
        if (i % 10 === 0) {
          await new Promise((resolve) => setTimeout(resolve, pauseMs))
          rssPeak = Math.max(rssPeak, process.memoryUsage().rss)
          maxPending = Math.max(maxPending, p.ingest.pending)
        }
      }
    }

    await stream(0, 500, 20)
    await Promise.all(sends)
    expect(acked.size).toBe(500)

    await server.stop()
    const outageEnds = Date.now() + 30_000
    let n = 500
    while (Date.now() < outageEnds) {
      await stream(n, n + 50, 20)
      n += 50
      if (!notReadySeen) notReadySeen = (await api(p, 'GET', '/readyz', undefined, null)).status === 503
    }
    const ackedDuringOutage = acked.size
    await server.start()
    await stream(n, n + 500, 20)
    n += 500
    await Promise.race([Promise.all(sends), new Promise((resolve) => setTimeout(resolve, 30_000))])
    await client.endAsync()

    // No PUBACK while InfluxDB was away (give or take the batch in flight when it stopped).
    expect(ackedDuringOutage).toBeLessThan(500 + 60)
    expect(notReadySeen).toBe(true)
    expect(acked.size).toBe(n)
    expect((await api(p, 'GET', '/readyz', undefined, null)).status).toBe(200)

    const stored = await p.store.readings({ sensorIds: [bin.id], field: 'fillingLevel', from: t0, to: t0 + n, limit: n + 10 })
    expect(stored.map((r) => r.time - t0)).toEqual([...acked].sort((a, b) => a - b))
    // Exactly once, counted by the server itself, not through the store's own reading code.
    const res = await fetch(`${server.url}/query?${new URLSearchParams({ db: database, q: 'SELECT count("value") FROM "raw_wastebin"."wastebin" WHERE "field" = \'fillingLevel\'' })}`)
    const count = (await res.json() as any).results[0].series[0].values[0][1]
    expect(count).toBe(acked.size)
    expect(maxPending).toBeLessThanOrEqual(p.config.INGEST_MAX_PENDING)
    expect(rssPeak - rssBefore).toBeLessThan(150 * 1024 * 1024)
    // The readings are visible through the open API too.
    const latest = await api(p, 'GET', `/v1/latest?sensor=${bin.id}`, undefined, ADMIN_TOKEN)
    expect(latest.body.data).toHaveLength(2)
  }, 120_000)
})

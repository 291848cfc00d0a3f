import mqtt from 'mqtt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { windowStart } from '../../core/windows.js'
import { hasInfluxd, requireInfluxdInCi, startInfluxd, type Influxd } from '../helpers/influxd.js'
import { ADMIN_TOKEN, api, connectSensor, eventually, registerSensor, startTestPlatform, topic, type RegisteredSensor, type TestPlatform } from '../helpers/platform.js'

/**
 * The whole path over real sockets: admin API registers a sensor of each kind, a real MQTT
 * client publishes SenML and json at QoS 0 and 1, and the open-data API gives the same
 * values back, raw and aggregated. Once on the embedded store, once on a real InfluxDB.
 */
requireInfluxdInCi()
pipelineSuite('the embedded store', async () => ({}))

describe.runIf(hasInfluxd)('with INFLUX_URL', () => {
  let server: Influxd
  beforeAll(async () => { server = await startInfluxd() }, 30_000)
  afterAll(async () => { await server.destroy() })
  pipelineSuite('InfluxDB', async () => ({ INFLUX_URL: server.url, INFLUX_DB: `pipeline_${process.pid}` }))
})

function pipelineSuite (name: string, env: () => Promise<Record<string, string>>): void {
  describe(`pipeline, end to end on ${name}`, () => {
    let p: TestPlatform
    let crowd: RegisteredSensor
    let bike: RegisteredSensor
    let bin: RegisteredSensor
    // Four readings 0 to 130 s after `base`, all in one 15-minute window and inside the crowd
    // kind's allowed lateness (900 s): the start of the running window, or 9 minutes into it
    // when that start is already more than 13 minutes ago.
    const now0 = Date.now()
    const base = now0 - windowStart('15m', now0) <= 13 * 60_000 ? windowStart('15m', now0) : windowStart('15m', now0) + 9 * 60_000
    const quarter = windowStart('15m', base)
    const sec = (ms: number) => ms / 1000

    beforeAll(async () => {
      p = await startTestPlatform({ env: await env() })
      crowd = await registerSensor(p, 'crowd', 'crowd-vredenburg-1')
      bike = await registerSensor(p, 'snuffelfiets', 'bike-1')
      bin = await registerSensor(p, 'wastebin', 'bin-1')
    })
    afterAll(async () => { await p.destroy() })

    it('stores a SenML pack sent at QoS 1 before the PUBACK and serves it raw and per window', async () => {
      const client = await connectSensor(p, crowd)
      // RFC 8428 section 4.5.3: t is relative to bt; 4 readings across 3 one-minute windows.
      const pack = [
        { bn: `${crowd.id}:`, bt: sec(base), n: 'peopleCount', u: 'count', v: 10 },
        { n: 'peopleCount', t: 20, v: 20 },
        { n: 'peopleCount', t: 70, v: 30 },
        { n: 'peopleCount', t: 130, v: 40 }
      ]
      await client.publishAsync(topic(crowd, 'senml'), JSON.stringify(pack), { qos: 1 })
      // The PUBACK came back, so the readings are already durable: no polling here.
      const raw = await api(p, 'GET', `/v1/observations?sensor=${crowd.id}&from=${sec(base)}&to=${sec(base + 3_600_000)}`, undefined, ADMIN_TOKEN)
      expect(raw.status).toBe(200)
      expect(raw.body.data.map((o: { value: number }) => o.value)).toEqual([10, 20, 30, 40])
      expect(raw.body.data[0]).toMatchObject({ sensorId: crowd.id, kind: 'crowd', field: 'peopleCount', unit: 'count', time: new Date(base).toISOString() })

      const perMinute = await api(p, 'GET', `/v1/observations?sensor=${crowd.id}&from=${sec(base)}&to=${sec(base + 900_000)}&window=1m&fn=mean`, undefined, ADMIN_TOKEN)
      expect(perMinute.body.data.map((o: { time: string, value: number, count: number }) => [o.time, o.value, o.count])).toEqual([
        [new Date(base).toISOString(), 15, 2],
        [new Date(base + 60_000).toISOString(), 30, 1],
        [new Date(base + 120_000).toISOString(), 40, 1]
      ])
      for (const [fn, expected] of [['sum', 100], ['count', 4], ['min', 10], ['max', 40], ['mean', 25]] as const) {
        const q = await api(p, 'GET', `/v1/observations?sensor=${crowd.id}&from=${sec(quarter)}&to=${sec(quarter + 900_000)}&window=15m&fn=${fn}`, undefined, ADMIN_TOKEN)
        expect(q.body.data.map((o: { value: number }) => o.value), fn).toEqual([expected])
      }
      await client.endAsync()
    })

    it('gives the same aggregates after the rollup job has materialised them', async () => {
    // As the job would run once the window has closed.
      await p.runRollup(quarter + 16 * 60_000)
      const stored = await p.store.aggregates({ sensorIds: [crowd.id], field: 'peopleCount', window: '15m', from: quarter, to: quarter + 900_000, source: 'stored' })
      expect(stored).toHaveLength(1)
      expect(stored[0]).toMatchObject({ count: 4, sum: 100, min: 10, max: 40 })
      const hour = windowStart('1h', base)
      const hourly = await api(p, 'GET', `/v1/observations?sensor=${crowd.id}&from=${sec(hour)}&to=${sec(hour + 3_600_000)}&window=1h&fn=mean`, undefined, ADMIN_TOKEN)
      expect(hourly.body.data.map((o: { value: number }) => o.value)).toEqual([25])
    })

    it('stores a flat json reading sent at QoS 0 and serves it as latest', async () => {
      const client = await connectSensor(p, bin)
      const time = Math.floor(Date.now() / 1000) - 60
      client.publish(topic(bin, 'json'), JSON.stringify({ fillingLevel: 42, battery: 90, time }), { qos: 0 })
      const latest = await eventually(async () => {
        const res = await api(p, 'GET', `/v1/latest?sensor=${bin.id}`, undefined, null)
        return res.body.data.length === 2 ? res.body.data : undefined
      })
      expect(latest.map((o: { field: string, value: number, unit: string }) => [o.field, o.value, o.unit]).sort()).toEqual([['battery', 90, '%EL'], ['fillingLevel', 42, '%']])
      expect(latest[0].time).toBe(new Date(time * 1000).toISOString())
      await client.endAsync()
    })

    it('keeps nothing per bicycle: its readings go into rides, and the API points to the grid', async () => {
      const client = await connectSensor(p, bike)
      await client.publishAsync(topic(bike, 'json'), JSON.stringify({ pm25: 12.5, pm10: 20, temperature: 5, lat: 52.09, lon: 5.12, trip: 3 }), { qos: 1 })
      await client.endAsync()
      expect(p.ingest.openRideFixes).toBe(1)
      expect(await p.store.latest({ sensorIds: [bike.id] })).toEqual([])
      for (const path of ['/v1/latest?kind=snuffelfiets', `/v1/observations?sensor=${bike.id}`]) {
        const res = await api(p, 'GET', path, undefined, ADMIN_TOKEN)
        expect(res.status, path).toBe(403)
        expect(res.body.detail, path).toMatch(/\/v1\/grid/)
      }
    })

    it('takes readings over MQTT over WebSocket too', async () => {
      const client = await mqtt.connectAsync(`ws://127.0.0.1:${p.mqttWsPort}/mqtt`, { clientId: bin.id, username: bin.id, password: bin.password, reconnectPeriod: 0 })
      const time = Math.floor(Date.now() / 1000) - 30
      await client.publishAsync(topic(bin, 'senml'), JSON.stringify([{ bn: `${bin.id}:`, bt: time, n: 'temperature', u: 'Cel', v: 11.5 }]), { qos: 1 })
      await client.endAsync()
      const obs = await api(p, 'GET', `/v1/observations?sensor=${bin.id}&field=temperature`, undefined, null)
      expect(obs.body.data).toEqual([expect.objectContaining({ value: 11.5, unit: 'Cel', time: new Date(time * 1000).toISOString() })])
    })

    it('answers CSV (RFC 4180) with a header row', async () => {
      const res = await api(p, 'GET', `/v1/observations?sensor=${crowd.id}&from=${sec(quarter)}&to=${sec(quarter + 900_000)}&window=15m&fn=sum&format=csv`, undefined, ADMIN_TOKEN)
      expect(res.status).toBe(200)
      expect(res.headers.get('content-type')).toMatch(/^text\/csv/)
      expect(res.text).toBe(
        'sensorId,kind,field,unit,time,value,window,fn,count\r\n' +
      `${crowd.id},crowd,peopleCount,count,${new Date(quarter).toISOString()},100,15m,sum,4\r\n`
      )
    })

    it('publishes the kinds with their payload schemas, and an OpenAPI 3.1 document', async () => {
      const kinds = await api(p, 'GET', '/v1/kinds', undefined, null)
      expect(kinds.body.data.map((k: { id: string }) => k.id)).toEqual(['crowd', 'snuffelfiets', 'wastebin'])
      expect(kinds.body.data[0].payloadSchema.properties.peopleCount.type).toBe('integer')
      const doc = await api(p, 'GET', '/docs/json', undefined, null)
      expect(doc.body.openapi).toBe('3.1.0')
      expect(Object.keys(doc.body.paths)).toEqual(expect.arrayContaining(['/v1/observations', '/v1/latest', '/v1/admin/sensors', '/v1/kinds']))
      expect(doc.body.info.license.url).toBe('https://creativecommons.org/publicdomain/zero/1.0/')
      expect(doc.body.info.contact.name).toBeDefined()
      // Every operation says what it does; the shapes people parse first carry examples.
      for (const [path, operations] of Object.entries(doc.body.paths as Record<string, Record<string, { summary?: string }>>)) {
        for (const [method, operation] of Object.entries(operations)) expect(operation.summary, `${method} ${path}`).toBeTruthy()
      }
      for (const name of ['Observation', 'Problem', 'GridCell', 'CrowdCount']) {
        expect(doc.body.components.schemas[name]?.examples?.length, name).toBeGreaterThan(0)
      }
    })

    it('compresses large answers with brotli or gzip, as the client asks, and sends rate-limit headers', async () => {
      for (const encoding of ['br', 'gzip']) {
        const res = await fetch(`http://127.0.0.1:${p.httpPort}/docs/json`, { headers: { 'accept-encoding': encoding } })
        expect(res.headers.get('content-encoding'), encoding).toBe(encoding)
        expect((await res.json() as { openapi: string }).openapi).toBe('3.1.0')
      }
      const limited = await fetch(`http://127.0.0.1:${p.httpPort}/v1/kinds`)
      expect(Number(limited.headers.get('x-ratelimit-limit'))).toBeGreaterThan(0)
      expect(Number(limited.headers.get('x-ratelimit-remaining'))).toBeGreaterThanOrEqual(0)
    })

    it('sends CORS, Cache-Control and ETag on open data, and 304 for an unchanged answer', async () => {
      const first = await fetch(`http://127.0.0.1:${p.httpPort}/v1/latest?kind=wastebin`, { headers: { origin: 'https://example.org' } })
      expect(first.headers.get('access-control-allow-origin')).toBe('*')
      expect(first.headers.get('cache-control')).toMatch(/public, max-age=\d+/)
      const etag = first.headers.get('etag')
      expect(etag).toMatch(/^W\/"/)
      const again = await fetch(`http://127.0.0.1:${p.httpPort}/v1/latest?kind=wastebin`, { headers: { 'if-none-match': etag! } })
      expect(again.status).toBe(304)
    })

    it('shows residents the register without secrets', async () => {
      const res = await api(p, 'GET', `/v1/sensors/${crowd.id}`, undefined, null)
      expect(res.status).toBe(200)
      expect(res.body).toMatchObject({ id: crowd.id, kind: 'crowd', owner: 'Gemeente Utrecht', purpose: 'Testing the platform', retentionDays: 7, zoneId: 'vredenburg' })
      expect(JSON.stringify(res.body)).not.toMatch(/secret|password|hash/i)
      const missing = await api(p, 'GET', '/v1/sensors/nope', undefined, null)
      expect(missing.status).toBe(404)
      expect(missing.headers.get('content-type')).toMatch(/^application\/problem\+json/)
      expect(missing.body.code).toBe('REGISTRY_ERR_NOT_FOUND')
    })

    it('serves health and readiness', async () => {
      expect((await api(p, 'GET', '/healthz', undefined, null)).body).toEqual({ status: 'ok' })
      const ready = await api(p, 'GET', '/readyz', undefined, null)
      expect(ready.status).toBe(200)
      expect(ready.body.status).toBe('ready')
      const metrics = await api(p, 'GET', '/metrics', undefined, null)
      expect(metrics.text).toMatch(new RegExp(`sensorstad_readings_accepted_total\\{sensor="${crowd.id}",kind="crowd"\\} 4`))
    })
  })
}

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { windowStart } from '../../core/windows.js'
import { ADMIN_TOKEN, api, connectSensor, registerSensor, startTestPlatform, topic, type RegisteredSensor, type TestPlatform, ZONE_VREDENBURG } from '../helpers/platform.js'

/**
 * /v1/observations as GeoJSON and in pages, over real sockets: three bins send readings over
 * MQTT, and following the `next` links (body and Link header) from the first page to the
 * last gives every row of the unpaged answer exactly once and in order, in JSON, CSV and
 * GeoJSON, for raw readings and for aggregates, whatever the page size.
 */
interface Row { sensorId: string, field: string, time: string, value: number }

const BINS = [
  { id: 'bin-oudegracht', location: { lat: 52.0907, lon: 5.1214 } },
  { id: 'bin-lucasbolwerk', location: { lat: 52.0935, lon: 5.1260 } },
  // Registered with a zone but no point: its rows come out on the zone's polygon.
  { id: 'bin-zonder-plek', location: undefined, zoneId: ZONE_VREDENBURG.id }
]
// 7 filling levels and 3 temperatures a bin, one a minute: 30 rows, groups of uneven size so
// page ends fall inside a group, on a field's end and on a sensor's end.
const LEVELS = 7
const TEMPERATURES = 3
const TOTAL = BINS.length * (LEVELS + TEMPERATURES)

describe('/v1/observations in GeoJSON and in pages', () => {
  let p: TestPlatform
  // Three hours ago: inside the wastebin kind's allowed lateness (1 day) and the default 24 h.
  const base = windowStart('1h', Date.now() - 3 * 3_600_000)
  const range = `from=${base / 1000}&to=${base / 1000 + 3600}`

  async function publish (sensor: RegisteredSensor, field: string, values: number[]): Promise<void> {
    const client = await connectSensor(p, sensor)
    const pack = values.map((v, i) => i === 0 ? { bn: `${sensor.id}:`, bt: base / 1000, n: field, v } : { n: field, t: i * 60, v })
    // QoS 1: the PUBACK comes after the write, so the rows are there when this resolves.
    await client.publishAsync(topic(sensor, 'senml'), JSON.stringify(pack), { qos: 1 })
    await client.endAsync()
  }

  const get = (path: string, token: string | null = null) => api(p, 'GET', path, undefined, token)

  /** Follows `next` from `path` to the end; checks the body and the Link header agree on every page. */
  async function followJson (path: string, limit: number): Promise<{ rows: Row[], pages: number }> {
    const rows: Row[] = []
    let next: string | undefined = path
    let pages = 0
    while (next !== undefined) {
      const res = await get(next)
      expect(res.status, res.text).toBe(200)
      pages++
      expect(res.body.data.length).toBeLessThanOrEqual(limit)
      rows.push(...res.body.data)
      next = res.body.next
      expect(res.body.truncated).toBe(next !== undefined)
      expect(res.headers.get('link')).toBe(next === undefined ? null : `<${next}>; rel="next"`)
      expect(pages).toBeLessThanOrEqual(TOTAL + 1)
    }
    return { rows, pages }
  }

  beforeAll(async () => {
    p = await startTestPlatform()
    expect((await api(p, 'POST', '/v1/admin/zones', ZONE_VREDENBURG)).status).toBe(201)
    for (const [n, bin] of BINS.entries()) {
      const sensor = await registerSensor(p, 'wastebin', bin.id, { location: bin.location, ...('zoneId' in bin ? { zoneId: bin.zoneId } : {}) })
      await publish(sensor, 'fillingLevel', Array.from({ length: LEVELS }, (_, i) => 10 * n + i))
      await publish(sensor, 'temperature', Array.from({ length: TEMPERATURES }, (_, i) => 15 + n + i / 10))
    }
  })
  afterAll(async () => { await p.destroy() })

  it('answers a FeatureCollection of points at the registered places, the JSON rows as properties', async () => {
    const json = await get(`/v1/observations?kind=wastebin&${range}`)
    expect(json.body.data).toHaveLength(TOTAL)
    const geo = await get(`/v1/observations?kind=wastebin&${range}&format=geojson`)
    expect(geo.status).toBe(200)
    expect(geo.headers.get('content-type')).toMatch(/^application\/geo\+json/)
    expect(geo.body.type).toBe('FeatureCollection')
    expect(geo.body.truncated).toBe(false)
    expect(geo.body.next).toBeUndefined()
    expect(geo.body.features.map((f: { properties: Row }) => f.properties)).toEqual(json.body.data)
    for (const feature of geo.body.features) {
      expect(feature.type).toBe('Feature')
      const bin = BINS.find((b) => b.id === feature.properties.sensorId)!
      // RFC 7946 section 3.1.1: longitude first.
      expect(feature.geometry).toEqual(bin.location === undefined ? ZONE_VREDENBURG.geometry : { type: 'Point', coordinates: [bin.location.lon, bin.location.lat] })
    }
    // Windows too: one feature per sensor, field and window.
    const hourly = await get(`/v1/observations?kind=wastebin&${range}&window=1h&fn=max&format=geojson`)
    expect(hourly.body.features).toHaveLength(BINS.length * 2)
    expect(hourly.body.features[0].properties).toMatchObject({ sensorId: 'bin-lucasbolwerk', field: 'fillingLevel', value: 16, window: '1h', fn: 'max', count: LEVELS })
  })

  it('pages JSON with next links that return every row exactly once, at any page size', async () => {
    const all = (await get(`/v1/observations?kind=wastebin&${range}`)).body.data as Row[]
    expect(all).toHaveLength(TOTAL)
    for (const limit of [1, 4, 5, 7, TOTAL - 1, TOTAL, TOTAL + 1]) {
      const { rows, pages } = await followJson(`/v1/observations?kind=wastebin&${range}&limit=${limit}`, limit)
      expect(rows, `limit ${limit}`).toEqual(all)
      expect(pages, `limit ${limit}`).toBe(Math.max(1, Math.ceil(TOTAL / limit)))
    }
  })

  it('pages aggregates and a list of sensors the same way', async () => {
    const path = `/v1/observations?sensor=bin-zonder-plek,bin-oudegracht&${range}&window=1m&fn=mean`
    const all = (await get(path)).body.data as Row[]
    expect(all).toHaveLength(2 * (LEVELS + TEMPERATURES))
    const { rows } = await followJson(`${path}&limit=3`, 3)
    expect(rows).toEqual(all)
    expect(new Set(rows.map((r) => `${r.sensorId} ${r.field} ${r.time}`)).size).toBe(rows.length)
  })

  it('pages CSV through the Link header', async () => {
    const full = await get(`/v1/observations?kind=wastebin&${range}&format=csv`)
    const [header, ...expected] = full.text.trim().split('\r\n')
    expect(expected).toHaveLength(TOTAL)
    const lines: string[] = []
    let next: string | undefined = `/v1/observations?kind=wastebin&${range}&format=csv&limit=4`
    let pages = 0
    while (next !== undefined) {
      const res = await get(next)
      expect(res.headers.get('content-type')).toMatch(/^text\/csv/)
      const [first, ...rows] = res.text.trim().split('\r\n')
      expect(first).toBe(header)
      lines.push(...rows)
      const link = res.headers.get('link')
      next = link === null ? undefined : /^<([^>]+)>; rel="next"$/.exec(link)![1]
      expect(res.headers.get('x-truncated')).toBe(next === undefined ? null : 'true')
      expect(++pages).toBeLessThanOrEqual(TOTAL)
    }
    expect(lines).toEqual(expected)
    expect(pages).toBe(Math.ceil(TOTAL / 4))
  })

  it('pages GeoJSON with next in the body and the Link header', async () => {
    const all = (await get(`/v1/observations?kind=wastebin&${range}`)).body.data as Row[]
    const seen: Row[] = []
    let next: string | undefined = `/v1/observations?kind=wastebin&${range}&format=geojson&limit=6`
    while (next !== undefined) {
      const res = await get(next)
      expect(res.body.type).toBe('FeatureCollection')
      expect(res.body.features.length).toBeLessThanOrEqual(6)
      seen.push(...res.body.features.map((f: { properties: Row }) => f.properties))
      expect(res.headers.get('link')).toBe(res.body.next === undefined ? null : `<${res.body.next}>; rel="next"`)
      next = res.body.next
      expect(seen.length).toBeLessThanOrEqual(TOTAL)
    }
    expect(seen).toEqual(all)
  })

  it('pins the default time range in the next link, so paging does not slide with the clock', async () => {
    const first = await get('/v1/observations?kind=wastebin&limit=10')
    expect(first.body.data).toHaveLength(10)
    const next = new URL(first.body.next, 'http://example.invalid')
    expect(next.pathname).toBe('/v1/observations')
    expect(next.searchParams.get('kind')).toBe('wastebin')
    expect(next.searchParams.get('limit')).toBe('10')
    const to = Date.parse(next.searchParams.get('to')!)
    expect(Date.now() - to).toBeLessThan(60_000)
    expect(to - Date.parse(next.searchParams.get('from')!)).toBe(86_400_000)
    // The cursor is opaque base64url, not a time the client could have guessed.
    expect(next.searchParams.get('cursor')).toMatch(/^[A-Za-z0-9_-]+$/)
    const { rows } = await followJson(first.body.next, 10)
    expect([...first.body.data, ...rows]).toEqual((await get(`/v1/observations?kind=wastebin&from=${next.searchParams.get('from')}&to=${next.searchParams.get('to')}`)).body.data)
  })

  it('refuses a cursor it did not make, naming the parameter', async () => {
    for (const cursor of ['not-a-cursor', Buffer.from('["bin-oudegracht","fillingLevel","soon"]').toString('base64url'), Buffer.from('{}').toString('base64url')]) {
      const res = await get(`/v1/observations?kind=wastebin&${range}&cursor=${cursor}`)
      expect(res.status).toBe(400)
      expect(res.body).toMatchObject({ code: 'API_ERR_VALIDATION', field: 'cursor' })
    }
  })

  it('keeps refusing mobile and crowd sensors in GeoJSON', async () => {
    await registerSensor(p, 'snuffelfiets', 'bike-geo')
    await registerSensor(p, 'crowd', 'crowd-geo')
    expect((await get('/v1/observations?kind=snuffelfiets&format=geojson')).body).toMatchObject({ status: 403, code: 'API_ERR_FORBIDDEN' })
    expect((await get('/v1/observations?sensor=bike-geo&format=geojson')).status).toBe(403)
    expect((await get('/v1/observations?kind=crowd&format=geojson')).body).toMatchObject({ status: 400, code: 'API_ERR_VALIDATION' })
    // Enforcement and admin see monitors exactly, as in JSON.
    expect((await get('/v1/observations?kind=crowd&format=geojson', ADMIN_TOKEN)).status).toBe(200)
  })
})

describe('observations as GeoJSON for crowd monitors (enforcement)', () => {
  it('places a monitor registered by zone on its zone polygon', async () => {
    const p = await startTestPlatform()
    try {
      const monitor = await registerSensor(p, 'crowd', 'crowd-geo')
      const client = await connectSensor(p, monitor)
      await client.publishAsync(topic(monitor, 'json'), JSON.stringify({ peopleCount: 33 }), { qos: 1 })
      await client.endAsync()
      const res = await api(p, 'GET', `/v1/observations?sensor=${monitor.id}&format=geojson`, undefined, ADMIN_TOKEN)
      expect(res.status).toBe(200)
      expect(res.body.features).toHaveLength(1)
      expect(res.body.features[0].geometry).toEqual(ZONE_VREDENBURG.geometry)
      expect(res.body.features[0].properties).toMatchObject({ sensorId: monitor.id, value: 33 })
    } finally {
      await p.destroy()
    }
  })
})

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { windowStart } from '../../core/windows.js'
import { api, connectSensor, registerSensor, startTestPlatform, topic, type RegisteredSensor, type TestPlatform } from '../helpers/platform.js'

/**
 * /v1/air/grid over real MQTT: bicycles ride as in grid.test.ts, and the map's GeoJSON holds
 * exactly the cells /v1/grid publishes (same thresholds of rides and devices), with the same
 * polygons, and over several hours one feature per cell whose values are the exact merge of
 * the hourly ones.
 */
interface GridRow { cell: string, start: string, mean: number, min: number, max: number, count: number }
interface AirFeature { type: string, geometry: { type: string, coordinates: number[][][] }, properties: { cell: string, field: string, unit: string, mean: number, min: number, max: number, count: number, hours: number } }

describe('/v1/air/grid: bicycle cells as GeoJSON for a map', () => {
  let p: TestPlatform
  let bikeA: RegisteredSensor
  let bikeB: RegisteredSensor
  // Two closed hours, two and three hours ago: inside the kind's allowed lateness (6 h).
  const later = windowStart('1h', Date.now() - 2 * 3_600_000)
  const earlier = later - 3_600_000
  const START = { lat: 52.0900, lon: 5.0850 }
  const END = { lat: 52.0900, lon: 5.1350 }
  const FIXES = 60

  /** Five rides west to east along one street in `hour`, one every 10 minutes, a fix every 10 s. */
  async function ride (bike: RegisteredSensor, hour: number, pm25: number, offsetS: number): Promise<void> {
    const client = await connectSensor(p, bike)
    for (let trip = 1; trip <= 5; trip++) {
      const t0 = hour + (trip - 1) * 600_000 + offsetS * 1000
      for (let i = 0; i < FIXES; i++) {
        const f = i / (FIXES - 1)
        const fix = { lat: START.lat, lon: START.lon + f * (END.lon - START.lon) }
        await client.publishAsync(topic(bike, 'json'), JSON.stringify({ ...fix, pm25, trip: hour / 1000 + trip, time: new Date(t0 + i * 10_000).toISOString() }), { qos: 1 })
      }
    }
    await client.endAsync()
  }

  const range = (from: number, to: number) => `from=${from / 1000}&to=${to / 1000}`
  const air = (query: string) => api(p, 'GET', `/v1/air/grid?${query}`, undefined, null)
  const grid = async (query: string): Promise<GridRow[]> => (await api(p, 'GET', `/v1/grid?kind=snuffelfiets&field=pm25&${query}`, undefined, null)).body.data

  beforeAll(async () => {
    p = await startTestPlatform()
    bikeA = await registerSensor(p, 'snuffelfiets', 'bike-air-a')
    bikeB = await registerSensor(p, 'snuffelfiets', 'bike-air-b')
  })
  afterAll(async () => { await p.destroy() })

  it('draws no cell while one device made all the rides', async () => {
    await ride(bikeA, later, 10, 0)
    await p.ingest.sweep()
    const res = await air(range(later, later + 3_600_000))
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^application\/geo\+json/)
    expect(res.body).toMatchObject({ type: 'FeatureCollection', features: [], field: 'pm25', unit: 'ug/m3', minRides: 5, minDevices: 2, truncated: false })
  })

  it('answers the cells of /v1/grid as polygons once a second device rode the street', async () => {
    await ride(bikeB, later, 20, 30)
    await p.ingest.sweep()
    const hourly = await grid(range(later, later + 3_600_000))
    expect(hourly.length).toBeGreaterThan(0)
    const res = await air(range(later, later + 3_600_000))
    const features = res.body.features as AirFeature[]
    expect(features.map((f) => f.properties.cell)).toEqual(hourly.map((r) => r.cell).sort())

    const polygons = (await api(p, 'GET', `/v1/grid?kind=snuffelfiets&field=pm25&${range(later, later + 3_600_000)}&format=geojson`, undefined, null)).body.features
    for (const feature of features) {
      const row = hourly.find((r) => r.cell === feature.properties.cell)!
      expect(feature.properties).toEqual({ cell: row.cell, field: 'pm25', unit: 'ug/m3', mean: row.mean, min: 10, max: 20, count: row.count, hours: 1 })
      expect(feature.geometry).toEqual(polygons.find((f: { properties: GridRow }) => f.properties.cell === row.cell).geometry)
      // A closed ring of four corners around Utrecht, longitude first (RFC 7946 section 3.1.6).
      const ring = feature.geometry.coordinates[0]!
      expect(ring).toHaveLength(5)
      expect(ring[0]).toEqual(ring[4])
      expect(ring[0]![0]).toBeCloseTo(5.1, 0)
      expect(ring[0]![1]).toBeCloseTo(52.09, 1)
    }
    expect(res.body.from).toBe(new Date(later).toISOString())
    expect(res.body.to).toBe(new Date(later + 3_600_000).toISOString())
  })

  it('merges the published hours of a cell into one feature, exactly', async () => {
    await ride(bikeA, earlier, 30, 0)
    await ride(bikeB, earlier, 40, 30)
    await p.ingest.sweep()
    const hourly = await grid(range(earlier, later + 3_600_000))
    const cells = [...new Set(hourly.map((r) => r.cell))].sort()
    // Trimming is random per ride, so a cell may be published in one hour or both.
    expect(hourly.length).toBeGreaterThan(cells.length)
    const features = (await air(range(earlier, later + 3_600_000))).body.features as AirFeature[]
    expect(features.map((f) => f.properties.cell)).toEqual(cells)
    for (const { properties } of features) {
      const rows = hourly.filter((r) => r.cell === properties.cell)
      const count = rows.reduce((n, r) => n + r.count, 0)
      expect(properties.hours).toBe(rows.length)
      expect(properties.count).toBe(count)
      expect(properties.min).toBe(Math.min(...rows.map((r) => r.min)))
      expect(properties.max).toBe(Math.max(...rows.map((r) => r.max)))
      expect(properties.mean).toBeCloseTo(rows.reduce((sum, r) => sum + r.mean * r.count, 0) / count, 9)
    }
    expect(features.some((f) => f.properties.hours === 2 && f.properties.min === 10 && f.properties.max === 40)).toBe(true)
  })

  it('defaults to pm25 over the last 24 hours and refuses what /v1/grid refuses', async () => {
    const byDefault = await air('')
    expect(byDefault.status).toBe(200)
    expect(byDefault.body.field).toBe('pm25')
    expect(Date.parse(byDefault.body.to) - Date.parse(byDefault.body.from)).toBe(86_400_000)
    expect(byDefault.body.features.length).toBeGreaterThan(0)
    expect(byDefault.headers.get('cache-control')).toBe('public, max-age=300')

    // A field measured by no ride is published nowhere; a location field is never published.
    expect((await air(`field=pm10&${range(earlier, later + 3_600_000)}`)).body.features).toEqual([])
    for (const query of ['field=lat', 'field=trip']) expect((await air(query)).body).toMatchObject({ status: 400, code: 'API_ERR_VALIDATION', field: 'field' })
    expect((await air(range(later, later))).body).toMatchObject({ status: 400, field: 'from' })
    expect((await air(range(later - 40 * 86_400_000, later))).body).toMatchObject({ status: 400, field: 'to' })
  })

  it('is in the OpenAPI document as open data', async () => {
    const doc = await api(p, 'GET', '/docs/json', undefined, null)
    expect(doc.body.paths['/v1/air/grid'].get.tags).toEqual(['open data'])
    expect(Object.keys(doc.body.paths).filter((path) => path.startsWith('/map'))).toEqual([])
  })
})

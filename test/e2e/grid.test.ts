import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cellFromId } from '../../core/grid.js'
import { wgs84ToRd } from '../../core/rd-new.js'
import { windowStart } from '../../core/windows.js'
import { api, connectSensor, registerSensor, startTestPlatform, topic, type RegisteredSensor, type TestPlatform } from '../helpers/platform.js'

/**
 * Bicycles over real MQTT to published grid cells (privacy rules 5 to 7): rides are trimmed
 * at both ends, snapped to 100 m cells and published per cell and hour only once five rides
 * of two devices passed; no coordinate, ride or device comes back out.
 */
describe('snuffelfiets rides to open grid data', () => {
  let p: TestPlatform
  let bikeA: RegisteredSensor
  let bikeB: RegisteredSensor
  // An hour two hours ago: inside the kind's allowed lateness (6 h) and closed.
  const hour = windowStart('1h', Date.now() - 2 * 3_600_000)
  const START = { lat: 52.0900, lon: 5.0850 }
  const END = { lat: 52.0900, lon: 5.1350 }
  const FIXES = 60

  /** Five rides west to east along one street, one every 10 minutes, a fix every 10 s. */
  async function ride (bike: RegisteredSensor, pm25: number, offsetS: number): Promise<void> {
    const client = await connectSensor(p, bike)
    for (let trip = 1; trip <= 5; trip++) {
      const t0 = hour + (trip - 1) * 600_000 + offsetS * 1000
      for (let i = 0; i < FIXES; i++) {
        const f = i / (FIXES - 1)
        const fix = { lat: START.lat, lon: START.lon + f * (END.lon - START.lon) }
        await client.publishAsync(topic(bike, 'json'), JSON.stringify({ ...fix, pm25, trip, time: new Date(t0 + i * 10_000).toISOString() }), { qos: 1 })
      }
    }
    await client.endAsync()
  }

  const grid = async () => (await api(p, 'GET', `/v1/grid?kind=snuffelfiets&field=pm25&from=${hour / 1000}&to=${hour / 1000 + 3600}`, undefined, null)).body

  beforeAll(async () => {
    p = await startTestPlatform()
    bikeA = await registerSensor(p, 'snuffelfiets', 'bike-a')
    bikeB = await registerSensor(p, 'snuffelfiets', 'bike-b')
  })
  afterAll(async () => { await p.destroy() })

  it('publishes nothing while one device made all the rides', async () => {
    await ride(bikeA, 10, 0)
    await p.ingest.sweep()
    expect(p.ingest.openRideFixes).toBe(0)
    const body = await grid()
    expect(body).toMatchObject({ minRides: 5, minDevices: 2 })
    expect(body.data).toEqual([])
  })

  it('publishes the middle of the street once a second device rode it five times', async () => {
    await ride(bikeB, 20, 30)
    await p.ingest.sweep()
    const { data } = await grid()
    expect(data.length).toBeGreaterThan(0)
    for (const cell of data) {
      expect(cell).toMatchObject({ field: 'pm25', unit: 'ug/m3', start: new Date(hour).toISOString(), min: 10, max: 20 })
      expect(cell.mean).toBeGreaterThan(10)
      expect(cell.mean).toBeLessThan(20)
      expect(Object.keys(cell).sort()).toEqual(['cell', 'count', 'field', 'max', 'mean', 'min', 'start', 'unit'])
    }
    // Every published cell centre lies at least 200 m from where the rides started and ended.
    const ends = [START, END].map(({ lat, lon }) => wgs84ToRd(lat, lon))
    for (const { cell: id } of data) {
      const cell = cellFromId(id)!
      expect((id as string).startsWith('rd100m-')).toBe(true)
      for (const end of ends) expect(Math.hypot(cell.x - end.x, cell.y - end.y)).toBeGreaterThanOrEqual(200)
    }
  })

  it('answers GeoJSON and CSV with the same cells', async () => {
    const { data } = await grid()
    const geo = await api(p, 'GET', `/v1/grid?kind=snuffelfiets&field=pm25&from=${hour / 1000}&to=${hour / 1000 + 3600}&format=geojson`, undefined, null)
    expect(geo.headers.get('content-type')).toMatch(/^application\/geo\+json/)
    expect(geo.body.type).toBe('FeatureCollection')
    expect(geo.body.features.map((f: { properties: { cell: string } }) => f.properties.cell)).toEqual(data.map((d: { cell: string }) => d.cell))
    expect(geo.body.features[0].geometry.coordinates[0]).toHaveLength(5)
    const csv = await api(p, 'GET', `/v1/grid?kind=snuffelfiets&field=pm25&from=${hour / 1000}&to=${hour / 1000 + 3600}&format=csv`, undefined, null)
    expect(csv.text.split('\r\n')[0]).toBe('cell,start,field,unit,mean,min,max,count')
    expect(csv.text.trim().split('\r\n')).toHaveLength(data.length + 1)
  })

  it('counts the trimmed fixes per rule and stores no reading of either bicycle', async () => {
    const metrics = await api(p, 'GET', '/metrics', undefined, null)
    expect(metrics.text).toMatch(/sensorstad_privacy_dropped_total\{kind="snuffelfiets",rule="ride-trim"\} \d+/)
    expect(await p.store.latest({ sensorIds: [bikeA.id, bikeB.id] })).toEqual([])
  })
})

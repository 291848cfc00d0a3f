import pino from 'pino'
import { Registry as MetricsRegistry } from 'prom-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp, type App } from '../../api/build-app.js'
import type { AppDeps } from '../../api/deps.js'
import type { Aggregate } from '../../core/reading.js'
import { loadKinds } from '../../registry/kind-catalog.js'
import { MemoryRegistryStore } from '../../registry/memory-registry-store.js'
import { Registry } from '../../registry/registry.js'
import { MemoryTimeSeriesStore } from '../../store/memory-time-series-store.js'
import type { SensorRegistration } from '../../core/sensor.js'

/**
 * GET /v1/crowd on the in-memory stores with a fixed clock, so the lag and window edges are
 * exact: what the public sees (rounded, suppressed, lagging, 15m or coarser) and what an
 * enforcement token sees (exact, real time, any window).
 */
const ADMIN = 'crowd-route-admin-token-0123456789'
const MIN = 60_000
const Q = 15 * MIN
const HOUR = 60 * MIN
// 12:07 UTC: with a 900 s lag the public view ends at 11:45 (windows 11:00, 11:15, 11:30).
const NOW = Date.UTC(2026, 10, 30, 12, 7)
const at = (h: number, m: number) => Date.UTC(2026, 10, 30, h, m)
const iso = (ms: number) => new Date(ms).toISOString()
const square = (lon: number): Array<[number, number]> => [[lon, 52.09], [lon + 0.002, 52.09], [lon + 0.002, 52.091], [lon, 52.091], [lon, 52.09]]
const ZONE_VREDENBURG = { id: 'vredenburg', name: 'Vredenburg', geometry: { type: 'Polygon' as const, coordinates: [square(5.1155)] } }
const ZONE_STATION = { id: 'station', name: 'Stationsplein', geometry: { type: 'Polygon' as const, coordinates: [square(5.109)] } }
// Not the platform helper's `registration`: that module starts the whole platform's imports.
const monitor = (id: string, zoneId: string, extra: Partial<SensorRegistration> = {}): SensorRegistration => ({
  id, kind: 'crowd', name: id, owner: 'Gemeente Utrecht', purpose: 'Counting crowds', legalBasis: 'Public task', dpiaRef: 'DPIA-1', processesPersonalData: false, public: true, zoneId, ...extra
})
// Yesterday 10:00, for stored 15m aggregates rolled up to hours and a day.
const DAY = Date.UTC(2026, 10, 29)
const H10 = DAY + 10 * HOUR

describe('GET /v1/crowd', () => {
  let app: App
  let enforcement: string
  let operations: string

  const get = async (query: string, token?: string) => {
    const res = await app.inject({ method: 'GET', url: `/v1/crowd?${query}`, headers: token === undefined ? {} : { authorization: `Bearer ${token}` } })
    return { status: res.statusCode, headers: res.headers, text: res.body, body: res.headers['content-type']?.toString().includes('json') === true ? res.json() : undefined }
  }
  const cells = (body: { data: Array<{ zone: string, start: string, count: number | null, suppressed: boolean }> }) =>
    body.data.filter((d) => d.count !== null || d.suppressed).map((d) => [d.zone, d.start, d.count, d.suppressed])

  beforeAll(async () => {
    const registry = await Registry.open(new MemoryRegistryStore(), loadKinds(), { bootstrapAdminToken: ADMIN })
    await registry.putZone(ZONE_VREDENBURG)
    await registry.putZone(ZONE_STATION)
    await registry.registerSensor(monitor('v1', 'vredenburg'))
    await registry.registerSensor(monitor('v2', 'vredenburg'))
    await registry.registerSensor(monitor('s1', 'station'))
    // Not in the public register: counted for enforcement, never in open data.
    await registry.registerSensor(monitor('s-private', 'station', { public: false }))
    enforcement = (await registry.createToken('enforcement', 'handhaving')).token
    operations = (await registry.createToken('operations', 'ops')).token

    const store = new MemoryTimeSeriesStore()
    const r = (sensorId: string, time: number, value: number) => ({ sensorId, kind: 'crowd', field: 'peopleCount', time, value })
    await store.writeReadings([
      // 11:00 vredenburg 3 (small), station 40: both withheld, total 43 published.
      r('v1', at(11, 1), 3), r('s1', at(11, 2), 40),
      // 11:15 vredenburg mean(10, 11) + 20 = 30.5, published as 31; station 0.
      r('v1', at(11, 16), 10), r('v1', at(11, 17), 11), r('v2', at(11, 16), 20), r('s1', at(11, 16), 0), r('s-private', at(11, 16), 100),
      // 11:30 5 and 4: the window holds 9 < k, so the total goes and the cells stay withheld.
      r('v1', at(11, 31), 5), r('s1', at(11, 31), 4),
      // 11:45 and 12:00 are newer than the lag: enforcement only.
      r('v1', at(11, 46), 50), r('v1', at(12, 5), 60), r('s1', at(12, 6), 70)
    ])
    const a = (sensorId: string, start: number, value: number): Aggregate => ({ sensorId, kind: 'crowd', field: 'peopleCount', window: '15m', start, count: 1, sum: value, min: value, max: value })
    // Yesterday 10:00-12:00 as stored 15m aggregates (raw readings gone after retention).
    await store.writeAggregates([
      a('v1', H10, 20), a('v1', H10 + Q, 30), a('v1', H10 + 2 * Q, 40), a('v1', H10 + 3 * Q, 50),
      a('s1', H10, 100), a('s1', H10 + Q, 100), a('s1', H10 + 2 * Q, 100), a('s1', H10 + 3 * Q, 100),
      a('v1', H10 + HOUR, 20), a('v1', H10 + HOUR + Q, 30), a('v1', H10 + HOUR + 2 * Q, 40), a('v1', H10 + HOUR + 3 * Q, 50),
      a('s1', H10 + HOUR, 5), a('s1', H10 + HOUR + Q, 100), a('s1', H10 + HOUR + 2 * Q, 100), a('s1', H10 + HOUR + 3 * Q, 100)
    ])
    // Only what the crowd route reads: other routes' services (a grid store) stay out of this test.
    const deps: Pick<AppDeps, 'registry' | 'store' | 'metrics' | 'logger' | 'now'> = { registry, store, metrics: new MetricsRegistry(), logger: pino({ level: 'silent' }), now: () => NOW }
    app = await buildApp(deps as AppDeps, { topicRoot: 'utrecht/v1' })
  })
  afterAll(async () => { await app.close() })

  it('gives the public rounded counts, small ones withheld with a complement, up to the lag', async () => {
    const res = await get(`from=${iso(at(11, 0))}`)
    expect(res.status).toBe(200)
    expect(res.body.k).toBe(15)
    expect(res.body.lagSeconds).toBe(900)
    expect(cells(res.body)).toEqual([
      ['station', iso(at(11, 0)), null, true],
      ['station', iso(at(11, 15)), 0, false],
      ['station', iso(at(11, 30)), null, true],
      ['vredenburg', iso(at(11, 0)), null, true],
      ['vredenburg', iso(at(11, 15)), 31, false],
      ['vredenburg', iso(at(11, 30)), null, true]
    ])
    expect(res.body.totals).toEqual([
      { start: iso(at(11, 0)), window: '15m', count: 43, suppressed: false },
      { start: iso(at(11, 15)), window: '15m', count: 31, suppressed: false },
      { start: iso(at(11, 30)), window: '15m', count: null, suppressed: true }
    ])
  })

  it('ends the public view at now minus the lag, rounded down to a window, whatever `to` asks', async () => {
    const res = await get(`from=${iso(at(11, 0))}&to=${iso(at(13, 0))}`)
    expect(res.body.data.map((d: { start: string }) => d.start)).not.toContain(iso(at(11, 45)))
    expect(res.body.totals.at(-1).start).toBe(iso(at(11, 30)))
  })

  it('marks open answers cacheable and varying by token, exact ones no-store', async () => {
    const open = await get(`from=${iso(at(11, 0))}`)
    expect(open.headers['cache-control']).toMatch(/^public, max-age=\d+$/)
    expect(open.headers.vary).toMatch(/authorization/i)
    const exact = await get(`from=${iso(at(11, 0))}`, enforcement)
    expect(exact.headers['cache-control']).toBe('no-store')
    expect(exact.headers.vary).toMatch(/authorization/i)
  })

  it('refuses windows finer than 15m without a token, naming the allowed ones', async () => {
    const res = await get('window=1m')
    expect(res.status).toBe(400)
    expect(res.body.code).toBe('API_ERR_VALIDATION')
    expect(res.body.field).toBe('window')
    expect(res.body.detail).toContain('15m, 1h, 1d')
  })

  it('gives an enforcement token exact, real-time counts at any window, private monitors included', async () => {
    const quarter = await get(`from=${iso(at(11, 0))}`, enforcement)
    expect(quarter.status).toBe(200)
    expect(quarter.body).toMatchObject({ k: null, lagSeconds: 0 })
    expect(cells(quarter.body)).toEqual([
      ['station', iso(at(11, 0)), 40, false],
      ['station', iso(at(11, 15)), 100, false],
      ['station', iso(at(11, 30)), 4, false],
      ['station', iso(at(12, 0)), 70, false],
      ['vredenburg', iso(at(11, 0)), 3, false],
      ['vredenburg', iso(at(11, 15)), 30.5, false],
      ['vredenburg', iso(at(11, 30)), 5, false],
      ['vredenburg', iso(at(11, 45)), 50, false],
      ['vredenburg', iso(at(12, 0)), 60, false]
    ])
    const minute = await get(`window=1m&zone=vredenburg&from=${iso(at(11, 16))}&to=${iso(at(11, 18))}`, enforcement)
    expect(cells(minute.body)).toEqual([['vredenburg', iso(at(11, 16)), 30, false], ['vredenburg', iso(at(11, 17)), 11, false]])
    const admin = await get('window=1m', ADMIN)
    expect(admin.status).toBe(200)
  })

  it('answers 401 for a bad token and 403 for a token without the role, never the open view', async () => {
    const bad = await get('', 'sst_000000000000_nope')
    expect(bad.status).toBe(401)
    expect(bad.body.code).toBe('API_ERR_UNAUTHORIZED')
    expect(bad.headers['www-authenticate']).toMatch(/^Bearer/)
    const malformed = await app.inject({ method: 'GET', url: '/v1/crowd', headers: { authorization: 'Basic abc' } })
    expect(malformed.statusCode).toBe(401)
    const ops = await get('', operations)
    expect(ops.status).toBe(403)
    expect(ops.body.code).toBe('API_ERR_FORBIDDEN')
  })

  it('decides suppression over all zones when asked for one, so one zone at a time reveals nothing more', async () => {
    const res = await get(`zone=station&from=${iso(at(11, 0))}`)
    expect(cells(res.body)).toEqual([
      ['station', iso(at(11, 0)), null, true],
      ['station', iso(at(11, 15)), 0, false],
      ['station', iso(at(11, 30)), null, true]
    ])
    // Totals are of all zones: with station's 40 withheld, 43 does not give away vredenburg.
    expect(res.body.totals[0]).toMatchObject({ count: 43, suppressed: false })
    const missing = await get('zone=nowhere')
    expect(missing.status).toBe(404)
    expect(missing.body.code).toBe('REGISTRY_ERR_NOT_FOUND')
  })

  it('builds public hours and days from the published 15m table only', async () => {
    const hours = await get(`window=1h&from=${iso(H10)}&to=${iso(H10 + 2 * HOUR)}`)
    expect(cells(hours.body)).toEqual([
      ['station', iso(H10), 100, false],
      // At 11:00 station's 5 was withheld with vredenburg's 20 as its complement, so both hours go.
      ['station', iso(H10 + HOUR), null, true],
      ['vredenburg', iso(H10), 35, false],
      ['vredenburg', iso(H10 + HOUR), null, true]
    ])
    expect(hours.body.totals.map((t: { count: number | null }) => t.count)).toEqual([135, 111])
    const days = await get(`window=1d&from=${iso(DAY)}&to=${iso(DAY + 24 * HOUR)}`)
    expect(cells(days.body)).toEqual([['station', iso(DAY), null, true], ['vredenburg', iso(DAY), null, true]])
    expect(days.body.totals).toEqual([{ start: iso(DAY), window: '1d', count: 123, suppressed: false }])
  })

  it('answers RFC 4180 CSV with the columns zone,start,window,count,suppressed', async () => {
    const res = await get(`format=csv&zone=vredenburg&from=${iso(at(11, 0))}`)
    expect(res.status).toBe(200)
    expect(res.headers['content-type']).toMatch(/^text\/csv/)
    expect(res.text).toBe(
      'zone,start,window,count,suppressed\r\n' +
      `vredenburg,${iso(at(11, 0))},15m,,true\r\n` +
      `vredenburg,${iso(at(11, 15))},15m,31,false\r\n` +
      `vredenburg,${iso(at(11, 30))},15m,,true\r\n`
    )
  })

  it('refuses a reversed range and more windows than one answer holds', async () => {
    const reversed = await get(`from=${iso(at(11, 0))}&to=${iso(at(10, 0))}`)
    expect(reversed.status).toBe(400)
    expect(reversed.body.field).toBe('from')
    const huge = await get(`window=1m&from=${iso(at(11, 0) - 30 * 24 * HOUR)}`, enforcement)
    expect(huge.status).toBe(400)
    expect(huge.body.code).toBe('API_ERR_VALIDATION')
  })

  it('documents the route in OpenAPI', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/docs/json' })).json()
    expect(doc.paths['/v1/crowd'].get.parameters.map((p: { name: string }) => p.name)).toEqual(expect.arrayContaining(['zone', 'from', 'to', 'window', 'format']))
  })
})

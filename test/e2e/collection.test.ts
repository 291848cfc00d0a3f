import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { haversineM } from '../../core/geo.js'
import { api, connectSensor, registerSensor, startTestPlatform, topic, ZONE_VREDENBURG, type RegisteredSensor, type TestPlatform } from '../helpers/platform.js'

/**
 * The waste collection list over real sockets: bins around Utrecht report `fillingLevel` over
 * MQTT (flat JSON, QoS 1), and operations read which to empty, why, by when and in which
 * order from the depot at the Kanaalweg (the config default).
 */
const H = 3_600_000
const iso = (ms: number) => new Date(ms).toISOString()
const DEPOT = { lat: 52.0851, lon: 5.0868 }
const PLACES = {
  lombok: { lat: 52.0905, lon: 5.1000 },
  centraal: { lat: 52.0894, lon: 5.1100 },
  vredenburg: { lat: 52.0928, lon: 5.1176 },
  hoograven: { lat: 52.0780, lon: 5.1230 },
  zuilen: { lat: 52.1060, lon: 5.0960 }
}
type Place = keyof typeof PLACES

interface Bin { id: string, reason: string, order: number, fillingLevel: number, fullAt: string | null, lastReport: string, ratePctPerHour: number, distanceFromPreviousM: number, location: { lat: number, lon: number } }

/** Legs of a round through `places` from the depot, by the ingest's haversine (not the code under test). */
function legs (places: Place[]): number[] {
  return places.map((place, i) => {
    const from = i === 0 ? DEPOT : PLACES[places[i - 1]!]
    return haversineM(from, PLACES[place])
  })
}

describe('waste collection list, end to end', () => {
  let p: TestPlatform
  let operations: string
  let enforcement: string
  // The latest reading of every bin: a whole minute, a minute ago (never ahead of the clock).
  const T = Math.floor(Date.now() / 60_000) * 60_000 - 60_000

  /** Readings `[hours before T, level]` over MQTT at QoS 1: the PUBACK comes once they are stored. */
  async function report (sensor: RegisteredSensor, readings: Array<[hoursBefore: number, level: number]>): Promise<void> {
    const client = await connectSensor(p, sensor)
    for (const [hoursBefore, fillingLevel] of readings) {
      await client.publishAsync(topic(sensor, 'json'), JSON.stringify({ fillingLevel, time: iso(T - hoursBefore * H) }), { qos: 1 })
    }
    await client.endAsync()
  }

  const collection = (query = '', token: string | null = operations) => api(p, 'GET', `/v1/collection${query}`, undefined, token)

  beforeAll(async () => {
    p = await startTestPlatform()
    const bins = Object.fromEntries(await Promise.all((Object.keys(PLACES) as Place[]).map(async (place) =>
      [place, await registerSensor(p, 'wastebin', `bin-${place}`, { location: PLACES[place], name: `Afvalbak ${place}, Utrecht` })]))) as Record<Place, RegisteredSensor>
    // Registered by its zone only: the register knows an area, not a place to drive to.
    expect((await api(p, 'POST', '/v1/admin/zones', ZONE_VREDENBURG)).status).toBe(201)
    const nowhere = await registerSensor(p, 'wastebin', 'bin-nowhere', { location: undefined, zoneId: ZONE_VREDENBURG.id })
    await registerSensor(p, 'wastebin', 'bin-quiet', { location: { lat: 52.086, lon: 5.088 } })
    for (const role of ['operations', 'enforcement'] as const) {
      const token = await api(p, 'POST', '/v1/admin/tokens', { role, name: `${role} collection test` })
      expect(token.status).toBe(201)
      if (role === 'operations') operations = token.body.token
      else enforcement = token.body.token
    }

    // 2 %/h for six hours: 80 % in 15 h.
    await report(bins.lombok, [[6, 38], [5, 40], [4, 42], [3, 44], [2, 46], [1, 48], [0, 50]])
    // 1 %/h: 80 % in 54 h, beyond the default horizon of 24 h.
    await report(bins.centraal, [[6, 20], [5, 21], [4, 22], [3, 23], [2, 24], [1, 25], [0, 26]])
    // Past 80 % since an hour ago.
    await report(bins.vredenburg, [[4, 70], [3, 74], [2, 78], [1, 82], [0, 86]])
    // Full a day ago, emptied 20 h ago, since then 2 %/h: 80 % in 18 h. Readings older than
    // the kind's allowed lateness (24 h) would be refused over MQTT, so the part before the
    // emptying goes straight into the store; the rest takes the real path.
    await p.store.writeReadings([[30, 85], [28, 90], [26, 95]].map(([hoursBefore, value]) =>
      ({ sensorId: bins.hoograven.id, kind: 'wastebin', field: 'fillingLevel', time: T - hoursBefore! * H, value: value! })))
    await report(bins.hoograven, [[20, 4], [16, 12], [12, 20], [8, 28], [4, 36], [0, 44]])
    // Silent for 60 h at 90 %: outside the 48 h window and far past the allowed lateness
    // (so into the store directly), yet still a full bin.
    await p.store.writeReadings([{ sensorId: bins.zuilen.id, kind: 'wastebin', field: 'fillingLevel', time: T - 60 * H, value: 90 }])
    // Without a point in the register it cannot be on a round, however full.
    await report(nowhere, [[0, 99]])
  })
  afterAll(async () => { await p.destroy() })

  it('answers 401 without a token and 403 for an enforcement token', async () => {
    const anonymous = await collection('', null)
    expect(anonymous.status).toBe(401)
    expect(anonymous.body.code).toBe('API_ERR_UNAUTHORIZED')
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Bearer/)
    const wrongRole = await collection('', enforcement)
    expect(wrongRole.status).toBe(403)
    expect(wrongRole.body.code).toBe('API_ERR_FORBIDDEN')
  })

  it('lists full and soon-full bins in nearest-neighbour order from the depot', async () => {
    const res = await collection()
    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toBe('no-store')
    expect(res.body).toMatchObject({ depot: DEPOT, threshold: 80, horizonHours: 24 })
    const bins: Bin[] = res.body.bins
    // Zuilen lies closer to the depot than Hoograven, but nearer to nothing on the way.
    expect(bins.map((b) => [b.order, b.id, b.reason])).toEqual([
      [1, 'bin-lombok', 'predicted'],
      [2, 'bin-vredenburg', 'full'],
      [3, 'bin-hoograven', 'predicted'],
      [4, 'bin-zuilen', 'full']
    ])
    // The zone-only bin did report its 99 %; it is left off for want of a point, not of data.
    expect((await p.store.latest({ sensorIds: ['bin-nowhere'] })).map((r) => r.value)).toEqual([99])
    const [lombok, vredenburg, hoograven, zuilen] = bins
    expect(lombok).toEqual({
      id: 'bin-lombok',
      name: 'Afvalbak lombok, Utrecht',
      location: PLACES.lombok,
      fillingLevel: 50,
      lastReport: iso(T),
      fullAt: iso(T + 15 * H),
      ratePctPerHour: 2,
      reason: 'predicted',
      order: 1,
      distanceFromPreviousM: Math.round(legs(['lombok'])[0]!)
    })
    expect(vredenburg).toMatchObject({ fillingLevel: 86, fullAt: iso(T - H), lastReport: iso(T), ratePctPerHour: 4 })
    // The emptying started a new cycle: the rate is that of the last 20 hours only.
    expect(hoograven).toMatchObject({ fillingLevel: 44, fullAt: iso(T + 18 * H), ratePctPerHour: 2 })
    expect(zuilen).toMatchObject({ fillingLevel: 90, fullAt: iso(T - 60 * H), lastReport: iso(T - 60 * H), ratePctPerHour: 0 })

    const expected = legs(['lombok', 'vredenburg', 'hoograven', 'zuilen'])
    expect(bins.map((b) => b.distanceFromPreviousM)).toEqual(expected.map(Math.round))
    expect(res.body.totalDistanceM).toBe(Math.round(expected.reduce((a, b) => a + b, 0)))
    expect(res.body.totalDistanceM).toBeGreaterThan(7_000)
  })

  it('lets an admin read it too', async () => {
    const res = await api(p, 'GET', '/v1/collection', undefined)
    expect(res.status).toBe(200)
    expect(res.body.bins).toHaveLength(4)
  })

  it('takes a longer horizon and a lower threshold from the query', async () => {
    const longer = await collection('?horizon=72')
    expect(longer.body.horizonHours).toBe(72)
    expect(longer.body.bins.map((b: Bin) => b.id)).toEqual(['bin-lombok', 'bin-centraal', 'bin-vredenburg', 'bin-hoograven', 'bin-zuilen'])
    expect(longer.body.bins[1]).toMatchObject({ reason: 'predicted', fullAt: iso(T + 54 * H), ratePctPerHour: 1 })

    // At 45 % with no look-ahead: Lombok is full (since its 46 % two hours ago), Hoograven at 44 % is not.
    const lower = await collection('?threshold=45&horizon=0')
    expect(lower.body).toMatchObject({ threshold: 45, horizonHours: 0 })
    expect(lower.body.bins.map((b: Bin) => [b.id, b.reason, b.fullAt])).toEqual([
      ['bin-lombok', 'full', iso(T - 2 * H)],
      ['bin-vredenburg', 'full', iso(T - 4 * H)],
      ['bin-zuilen', 'full', iso(T - 60 * H)]
    ])
    expect(lower.body.bins.map((b: Bin) => b.distanceFromPreviousM)).toEqual(legs(['lombok', 'vredenburg', 'zuilen']).map(Math.round))

    const invalid = await collection('?threshold=0')
    expect(invalid.status).toBe(400)
    expect(invalid.body.code).toBe('API_ERR_VALIDATION')
    expect((await collection('?format=xml')).status).toBe(400)
  })

  it('answers RFC 4180 CSV with the same bins in the same order', async () => {
    const res = await collection('?format=csv')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/)
    expect(res.headers.get('cache-control')).toBe('no-store')
    const lines = res.text.split('\r\n')
    expect(lines[0]).toBe('order,id,name,lat,lon,fillingLevel,reason,fullAt,lastReport')
    // The comma in the name is quoted.
    expect(lines[1]).toBe(`1,bin-lombok,"Afvalbak lombok, Utrecht",52.0905,5.1,50,predicted,${iso(T + 15 * H)},${iso(T)}`)
    expect(lines.slice(1, -1).map((line) => line.split(',')[1])).toEqual(['bin-lombok', 'bin-vredenburg', 'bin-hoograven', 'bin-zuilen'])
    expect(lines.at(-1)).toBe('')
  })

  it('answers a GeoJSON FeatureCollection of points, longitude first', async () => {
    const res = await collection('?format=geojson&horizon=72')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^application\/geo\+json/)
    expect(res.headers.get('cache-control')).toBe('no-store')
    expect(res.body).toMatchObject({ type: 'FeatureCollection', depot: DEPOT, threshold: 80, horizonHours: 72 })
    const features = res.body.features as Array<{ type: string, geometry: { type: string, coordinates: number[] }, properties: Record<string, unknown> }>
    expect(features.map((f) => f.properties.id)).toEqual(['bin-lombok', 'bin-centraal', 'bin-vredenburg', 'bin-hoograven', 'bin-zuilen'])
    expect(features[1]).toEqual({
      type: 'Feature',
      geometry: { type: 'Point', coordinates: [PLACES.centraal.lon, PLACES.centraal.lat] },
      properties: {
        id: 'bin-centraal',
        name: 'Afvalbak centraal, Utrecht',
        fillingLevel: 26,
        lastReport: iso(T),
        fullAt: iso(T + 54 * H),
        ratePctPerHour: 1,
        reason: 'predicted',
        order: 2,
        distanceFromPreviousM: Math.round(legs(['lombok', 'centraal'])[1]!)
      }
    })
    expect(res.body.totalDistanceM).toBe(Math.round(legs(['lombok', 'centraal', 'vredenburg', 'hoograven', 'zuilen']).reduce((a, b) => a + b, 0)))
  })
})

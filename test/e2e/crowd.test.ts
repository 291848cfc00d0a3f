import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { windowStart } from '../../core/windows.js'
import { api, connectSensor, registerSensor, startTestPlatform, topic, ZONE_VREDENBURG, type RegisteredSensor, type TestPlatform } from '../helpers/platform.js'

/**
 * Privacy rule 8 over real sockets: crowd monitors in two zones publish SenML at QoS 1, the
 * public reads GET /v1/crowd (rounded, small counts withheld with a complement, 15m or
 * coarser, lagging real time) and an enforcement token reads the same route exact and live.
 */
const MIN = 60_000
const Q = 15 * MIN
const sec = (ms: number) => ms / 1000
const iso = (ms: number) => new Date(ms).toISOString()
const ZONE_STATION = {
  id: 'station',
  name: 'Stationsplein',
  geometry: { type: 'Polygon' as const, coordinates: [[[5.109, 52.089], [5.111, 52.089], [5.111, 52.090], [5.109, 52.090], [5.109, 52.089]]] }
}

interface Row { zone: string, start: string, window: string, count: number | null, suppressed: boolean }
/** The rows that hold something: a count or a withheld one (a dense answer also lists empty windows). */
const filled = (data: Row[]) => data.filter((d) => d.count !== null || d.suppressed).map((d) => [d.zone, d.start, d.count, d.suppressed])

describe('crowd counts, end to end', () => {
  let p: TestPlatform
  let enforcement: string
  // Two closed windows older than the public lag (900 s), and the window running now, which
  // only enforcement sees.
  const now0 = Date.now()
  const current = windowStart('15m', now0)
  const w1 = current - 3 * Q
  const w2 = current - 2 * Q
  const recent = Math.max(current, Math.floor((now0 - 5_000) / 1000) * 1000)

  /**
   * Windows the public may see are older than the lag, and so older than the kind's allowed
   * lateness (both 900 s): MQTT would refuse readings for them now. Those go straight into the
   * store; readings of the running window take the real path, SenML over MQTT at QoS 1.
   */
  async function publish (sensor: RegisteredSensor, readings: Array<[time: number, value: number]>): Promise<void> {
    const old = readings.filter(([time]) => time < Date.now() - 600_000)
    await p.store.writeReadings(old.map(([time, value]) => ({ sensorId: sensor.id, kind: 'crowd', field: 'peopleCount', time, value })))
    const fresh = readings.filter(([time]) => time >= Date.now() - 600_000)
    if (fresh.length === 0) return
    const client = await connectSensor(p, sensor)
    const [first, ...rest] = fresh
    // RFC 8428 section 4.5.3: t is relative to bt.
    const pack = [
      { bn: `${sensor.id}:`, bt: sec(first![0]), n: 'peopleCount', u: 'count', v: first![1] },
      ...rest.map(([time, v]) => ({ n: 'peopleCount', t: sec(time - first![0]), v }))
    ]
    // QoS 1: the PUBACK comes after the durable write, so the API sees it at once.
    await client.publishAsync(topic(sensor, 'senml'), JSON.stringify(pack), { qos: 1 })
    await client.endAsync()
  }

  beforeAll(async () => {
    p = await startTestPlatform()
    const zone = await api(p, 'POST', '/v1/admin/zones', ZONE_STATION)
    expect(zone.status).toBe(201)
    const v1 = await registerSensor(p, 'crowd', 'crowd-vredenburg-1')
    const v2 = await registerSensor(p, 'crowd', 'crowd-vredenburg-2')
    const s1 = await registerSensor(p, 'crowd', 'crowd-station-1', { zoneId: ZONE_STATION.id })
    const token = await api(p, 'POST', '/v1/admin/tokens', { role: 'enforcement', name: 'handhaving' })
    expect(token.status).toBe(201)
    enforcement = token.body.token
    // w1: Vredenburg 3, Stationsplein 40. w2: Vredenburg mean(40, 41) + 20 = 60.5, Stationsplein 0.
    await publish(v1, [[w1 + 3 * MIN, 3], [w2 + 3 * MIN, 40], [w2 + 4 * MIN, 41], [recent, 70]])
    await publish(v2, [[w2 + 3 * MIN, 20]])
    await publish(s1, [[w1 + 3 * MIN, 40], [w2 + 3 * MIN, 0], [recent, 80]])
  })
  afterAll(async () => { await p.destroy() })

  it('shows the public rounded counts with small ones withheld, and the complement withheld beside them', async () => {
    const res = await api(p, 'GET', `/v1/crowd?from=${sec(w1)}`, undefined, null)
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({ k: 15, lagSeconds: 900 })
    expect(filled(res.body.data)).toEqual([
      // 3 people is below k; Stationsplein's 40 goes with it, or 43 - 40 would give the 3 away.
      ['station', iso(w1), null, true],
      ['station', iso(w2), 0, false],
      ['vredenburg', iso(w1), null, true],
      ['vredenburg', iso(w2), 61, false]
    ])
    const totals = res.body.totals.filter((t: { start: string }) => t.start === iso(w1) || t.start === iso(w2))
    expect(totals).toEqual([
      { start: iso(w1), window: '15m', count: 43, suppressed: false },
      { start: iso(w2), window: '15m', count: 61, suppressed: false }
    ])
    expect(res.headers.get('cache-control')).toMatch(/^public/)
  })

  it('does not show the public windows newer than the lag', async () => {
    const res = await api(p, 'GET', `/v1/crowd?from=${sec(w1)}&to=${sec(current + Q)}`, undefined, null)
    const lagEnd = Date.now() - 900_000
    const starts = [...res.body.data, ...res.body.totals].map((d: { start: string }) => Date.parse(d.start))
    expect(starts.length).toBeGreaterThan(0)
    for (const start of starts) expect(start + Q).toBeLessThanOrEqual(lagEnd)
    expect(starts).not.toContain(current)
  })

  it('refuses the public 1-minute windows', async () => {
    const res = await api(p, 'GET', '/v1/crowd?window=1m', undefined, null)
    expect(res.status).toBe(400)
    expect(res.body.code).toBe('API_ERR_VALIDATION')
    expect(res.body.detail).toMatch(/15m/)
  })

  it('answers the public in CSV too, withheld counts empty', async () => {
    const res = await api(p, 'GET', `/v1/crowd?zone=${ZONE_VREDENBURG.id}&from=${sec(w1)}&to=${sec(w2 + Q)}&format=csv`, undefined, null)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/)
    expect(res.text).toBe(`zone,start,window,count,suppressed\r\nvredenburg,${iso(w1)},15m,,true\r\nvredenburg,${iso(w2)},15m,61,false\r\n`)
  })

  it('gives an enforcement token the exact counts, including the window running now', async () => {
    const res = await api(p, 'GET', `/v1/crowd?from=${sec(w1)}`, undefined, enforcement)
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({ k: null, lagSeconds: 0 })
    expect(filled(res.body.data)).toEqual([
      ['station', iso(w1), 40, false],
      ['station', iso(w2), 0, false],
      ['station', iso(current), 80, false],
      ['vredenburg', iso(w1), 3, false],
      ['vredenburg', iso(w2), 60.5, false],
      ['vredenburg', iso(current), 70, false]
    ])
    expect(res.headers.get('cache-control')).toBe('no-store')
  })

  it('gives an enforcement token 1-minute windows, past and recent', async () => {
    const past = await api(p, 'GET', `/v1/crowd?window=1m&from=${sec(w2)}&to=${sec(w2 + Q)}`, undefined, enforcement)
    expect(past.status).toBe(200)
    expect(filled(past.body.data)).toEqual([
      ['station', iso(w2 + 3 * MIN), 0, false],
      ['vredenburg', iso(w2 + 3 * MIN), 60, false],
      ['vredenburg', iso(w2 + 4 * MIN), 41, false]
    ])
    const live = await api(p, 'GET', `/v1/crowd?window=1m&from=${sec(current)}`, undefined, enforcement)
    const minute = iso(windowStart('1m', recent))
    expect(filled(live.body.data)).toEqual([['station', minute, 80, false], ['vredenburg', minute, 70, false]])
  })

  it('answers 401 to a bad token instead of the public view', async () => {
    const res = await api(p, 'GET', '/v1/crowd', undefined, 'sst_0123456789ab_not-a-real-token')
    expect(res.status).toBe(401)
    expect(res.body.code).toBe('API_ERR_UNAUTHORIZED')
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/)
  })
})

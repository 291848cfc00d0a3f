import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { snapToCell } from '../../core/grid.js'
import { windowStart } from '../../core/windows.js'
import { api, connectSensor, registerSensor, startTestPlatform, topic, type RegisteredSensor, type TestPlatform } from '../helpers/platform.js'

/**
 * The SensorThings API subset over real sockets, replaying what Samen Meten and FROST clients
 * send: bins per sensor with raw readings, crowd monitors only as zones with the public
 * suppressed 15-minute counts, bicycles only as grid cells per hour.
 */
const MIN = 60_000
const Q = 15 * MIN
const iso = (ms: number) => new Date(ms).toISOString()
const ZONE_STATION = {
  id: 'station',
  name: 'Stationsplein',
  geometry: { type: 'Polygon' as const, coordinates: [[[5.109, 52.089], [5.111, 52.089], [5.111, 52.090], [5.109, 52.090], [5.109, 52.089]]] }
}

describe('SensorThings API /sta/v1.1, end to end', () => {
  let p: TestPlatform
  let bin1: RegisteredSensor
  const sta = (path: string) => api(p, 'GET', `/sta/v1.1${path}`, undefined, null)
  const now0 = Date.now()
  const current = windowStart('15m', now0)
  const [w1, w2, w3] = [current - 4 * Q, current - 3 * Q, current - 2 * Q]
  const hour = windowStart('1h', now0 - 2 * 3_600_000)
  // Two cells of the grid: one five rides of two devices crossed, one a single device did.
  const busyCell = snapToCell(136_950, 455_850, 100).id
  const quietCell = snapToCell(137_550, 455_850, 100).id
  const binTimes = [10, 8, 6, 4, 2].map((m) => Math.floor((now0 - m * MIN) / 1000) * 1000)

  beforeAll(async () => {
    p = await startTestPlatform()
    expect((await api(p, 'POST', '/v1/admin/zones', ZONE_STATION)).status).toBe(201)
    bin1 = await registerSensor(p, 'wastebin', 'bin-1')
    await registerSensor(p, 'wastebin', 'bin-2', { location: { lat: 52.0931, lon: 5.1201 } })
    await registerSensor(p, 'wastebin', 'bin-hidden', { public: false })
    const v1 = await registerSensor(p, 'crowd', 'crowd-vredenburg-1')
    const v2 = await registerSensor(p, 'crowd', 'crowd-vredenburg-2')
    const s1 = await registerSensor(p, 'crowd', 'crowd-station-1', { zoneId: ZONE_STATION.id })
    await registerSensor(p, 'snuffelfiets', 'bike-a')
    await registerSensor(p, 'snuffelfiets', 'bike-b')

    // Bin readings take the real path: SenML over MQTT at QoS 1 (durable at the PUBACK).
    const client = await connectSensor(p, bin1)
    const pack = binTimes.map((t, i) => ({ ...(i === 0 ? { bn: `${bin1.id}:`, bt: t / 1000 } : { t: (t - binTimes[0]!) / 1000 }), n: 'fillingLevel', u: '%', v: 10 * (i + 1) }))
    await client.publishAsync(topic(bin1, 'senml'), JSON.stringify(pack), { qos: 1 })
    await client.endAsync()
    await p.store.writeReadings([{ sensorId: 'bin-hidden', kind: 'wastebin', field: 'fillingLevel', time: binTimes[0]!, value: 77 }])

    // Crowd windows older than the public lag are past MQTT's allowed lateness, so they go
    // straight into the store (as in crowd.test.ts). w1: Vredenburg 3 and Stationsplein 40,
    // both withheld (3 < k, 40 its complement); w2: 40 + 20 = 60 and 30; w3: 25 and 18;
    // the running window only enforcement may see.
    const crowd = (sensor: RegisteredSensor, time: number, value: number) => ({ sensorId: sensor.id, kind: 'crowd', field: 'peopleCount', time, value })
    await p.store.writeReadings([
      crowd(v1, w1 + MIN, 3), crowd(s1, w1 + MIN, 40),
      crowd(v1, w2 + MIN, 40), crowd(v2, w2 + MIN, 20), crowd(s1, w2 + MIN, 30),
      crowd(v1, w3 + MIN, 25), crowd(s1, w3 + MIN, 18),
      crowd(v1, current, 99), crowd(s1, current, 98)
    ])

    const contribution = (cell: string, ride: string, device: string, value: number) => ({ kind: 'snuffelfiets', cell, start: hour, field: 'pm25', ride, device, count: 2, sum: 2 * value, min: value, max: value })
    await p.grid.writeContributions([
      ...[1, 2, 3].map((r) => contribution(busyCell, `ride-pseudonym-a${r}`, 'device-pseudonym-a', 10)),
      ...[1, 2].map((r) => contribution(busyCell, `ride-pseudonym-b${r}`, 'device-pseudonym-b', 20)),
      ...[1, 2, 3, 4, 5].map((r) => contribution(quietCell, `ride-pseudonym-c${r}`, 'device-pseudonym-c', 30))
    ])
  })
  afterAll(async () => { await p.destroy() })

  it('answers the service root with the entity sets and the conformance classes', async () => {
    const res = await sta('')
    expect(res.status).toBe(200)
    expect(res.body.value.map((v: { name: string }) => v.name)).toEqual(['Things', 'Locations', 'Sensors', 'ObservedProperties', 'Datastreams', 'Observations', 'FeaturesOfInterest'])
    expect(res.body.value[0].url).toBe(`http://127.0.0.1:${p.httpPort}/sta/v1.1/Things`)
    expect(res.body.serverSettings.conformance).toContain('http://www.opengis.net/spec/iot_sensing/1.1/req/request-data')
  })

  it('finds the bins of Utrecht as Samen Meten clients ask, public ones only', async () => {
    const res = await sta(`/Things?$filter=${encodeURIComponent("properties/codegemeente eq '344' and properties/project eq 'wastebin'")}`)
    expect(res.status).toBe(200)
    expect(res.body.value.map((t: { '@iot.id': string }) => t['@iot.id'])).toEqual(['wastebin:bin-1', 'wastebin:bin-2'])
    expect(res.body.value[0]).toMatchObject({
      '@iot.selfLink': `http://127.0.0.1:${p.httpPort}/sta/v1.1/Things('wastebin:bin-1')`,
      'Datastreams@iot.navigationLink': `http://127.0.0.1:${p.httpPort}/sta/v1.1/Things('wastebin:bin-1')/Datastreams`,
      properties: { codegemeente: '344', project: 'wastebin', owner: 'Gemeente Utrecht', purpose: 'Testing the platform', legalBasis: 'Public task (AVG art. 6.1e)', retentionDays: 90 }
    })
    // The OData 3 and OData 4 spellings Samen Meten scripts use.
    for (const filter of ["substringof('344', properties/codegemeente)", "contains(properties/codegemeente,'344')"]) {
      const all = await sta(`/Things?$filter=${encodeURIComponent(filter)}&$select=id`)
      expect(all.body.value.map((t: { '@iot.id': string }) => t['@iot.id']), filter).toEqual(['crowd:station', 'crowd:vredenburg', 'snuffelfiets:grid', 'wastebin:bin-1', 'wastebin:bin-2'])
      expect(Object.keys(all.body.value[0])).toEqual(['@iot.id'])
    }
  })

  it('lists the Datastreams of a Thing with UCUM units, and leads on to Sensor, ObservedProperty and Location', async () => {
    const res = await sta("/Things('wastebin:bin-1')/Datastreams")
    expect(res.body.value.map((d: { '@iot.id': string }) => d['@iot.id'])).toEqual(['wastebin:bin-1:battery', 'wastebin:bin-1:fillingLevel', 'wastebin:bin-1:temperature'])
    const level = res.body.value[1]
    expect(level.unitOfMeasurement).toEqual({ name: 'percent', symbol: '%', definition: 'https://ucum.org/ucum' })
    expect(level.observationType).toBe('http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement')
    const sensor = await sta("/Datastreams('wastebin:bin-1:fillingLevel')/Sensor")
    expect(sensor.body).toMatchObject({ '@iot.id': 'wastebin', name: 'Smart waste container', encodingType: 'application/json' })
    const property = await sta("/Datastreams('wastebin:bin-1:fillingLevel')/ObservedProperty")
    expect(property.body).toMatchObject({ '@iot.id': 'wastebin:fillingLevel', name: 'fillingLevel', description: 'How full the container is' })
    const location = await sta("/Things('wastebin:bin-2')/Locations")
    expect(location.body.value).toEqual([expect.objectContaining({ encodingType: 'application/geo+json', location: { type: 'Point', coordinates: [5.1201, 52.0931] } })])
    const back = await sta("/Locations('wastebin:bin-2')/Things?$select=id")
    expect(back.body.value).toEqual([{ '@iot.id': 'wastebin:bin-2' }])
  })

  it('gives the newest readings first with $orderby=phenomenonTime desc&$top=2, and a nextLink for the rest', async () => {
    const res = await sta("/Datastreams('wastebin:bin-1:fillingLevel')/Observations?$orderby=phenomenonTime%20desc&$top=2&$count=true")
    expect(res.status).toBe(200)
    expect(res.body['@iot.count']).toBe(5)
    expect(res.body.value.map((o: { result: number, phenomenonTime: string }) => [o.phenomenonTime, o.result])).toEqual([[iso(binTimes[4]!), 50], [iso(binTimes[3]!), 40]])
    expect(res.body.value[0]).toMatchObject({ '@iot.id': `wastebin:bin-1:fillingLevel:${binTimes[4]}`, resultTime: iso(binTimes[4]!) })
    expect(res.body['@iot.nextLink']).toMatch(/\/Datastreams\('wastebin:bin-1:fillingLevel'\)\/Observations\?\$skiptoken=/)
    const one = await sta(`/Observations('wastebin:bin-1:fillingLevel:${binTimes[4]}')`)
    expect(one.body).toMatchObject({ result: 50, 'Datastream@iot.navigationLink': expect.stringContaining('Observations(') })
    const ds = await sta(`/Observations('wastebin:bin-1:fillingLevel:${binTimes[4]}')/Datastream`)
    expect(ds.body['@iot.id']).toBe('wastebin:bin-1:fillingLevel')
  })

  it('expands one level with a nested $select', async () => {
    const res = await sta(`/Things?$filter=${encodeURIComponent("properties/project eq 'wastebin'")}&$expand=${encodeURIComponent('Datastreams($select=name,unitOfMeasurement)')}&$select=id,name`)
    expect(res.status).toBe(200)
    expect(res.body.value).toHaveLength(2)
    for (const thing of res.body.value) {
      expect(Object.keys(thing).sort()).toEqual(['@iot.id', 'Datastreams', 'name'])
      expect(thing.Datastreams).toHaveLength(3)
      for (const ds of thing.Datastreams) expect(Object.keys(ds).sort()).toEqual(['name', 'unitOfMeasurement'])
    }
    const expanded = await sta(`/Datastreams('wastebin:bin-1:fillingLevel')?$expand=${encodeURIComponent('Observations($orderby=result desc;$top=1),Thing($select=name)')}`)
    expect(expanded.body.Observations.map((o: { result: number }) => o.result)).toEqual([50])
    expect(expanded.body['Observations@iot.nextLink']).toContain('$skiptoken=')
    expect(expanded.body.Thing).toEqual({ name: 'Test wastebin bin-1' })
  })

  it('answers FROST-style filters on result, time, date() and name', async () => {
    const ids = async (path: string) => (await sta(path)).body.value.map((o: { '@iot.id': string }) => o['@iot.id'])
    const q = (f: string) => encodeURIComponent(f)
    expect(await ids(`/Observations?$filter=${q("result ge 40 and startswith(id,'wastebin:')")}`)).toEqual([`wastebin:bin-1:fillingLevel:${binTimes[3]}`, `wastebin:bin-1:fillingLevel:${binTimes[4]}`])
    expect(await ids(`/Datastreams('wastebin:bin-1:fillingLevel')/Observations?$filter=${q(`phenomenonTime gt ${iso(binTimes[2]!)}`)}`)).toEqual([`wastebin:bin-1:fillingLevel:${binTimes[3]}`, `wastebin:bin-1:fillingLevel:${binTimes[4]}`])
    expect(await ids(`/Datastreams('wastebin:bin-1:fillingLevel')/Observations?$filter=${q(`date(phenomenonTime) eq ${iso(binTimes[0]!).slice(0, 10)} and not (result ne 10)`)}`)).toEqual([`wastebin:bin-1:fillingLevel:${binTimes[0]}`])
    expect(await ids(`/Datastreams?$filter=${q("startswith(name,'Vredenburg') or unitOfMeasurement/symbol eq 'ug/m3' and substringof('pm25', id)")}`)).toEqual(['crowd:vredenburg:peopleCount', 'snuffelfiets:grid:pm25'])
  })

  it('publishes crowd counts per zone exactly as /v1/crowd does: withheld and running windows absent', async () => {
    const res = await sta("/Datastreams('crowd:vredenburg:peopleCount')/Observations?$orderby=phenomenonTime")
    expect(res.status).toBe(200)
    expect(res.body.value.map((o: { phenomenonTime: string, result: number }) => [o.phenomenonTime, o.result])).toEqual([
      [`${iso(w2)}/${iso(w2 + Q)}`, 60],
      [`${iso(w3)}/${iso(w3 + Q)}`, 25]
    ])
    const open = await api(p, 'GET', `/v1/crowd?from=${w1 / 1000}`, undefined, null)
    const published = open.body.data.filter((d: { count: number | null }) => d.count !== null).map((d: { zone: string, start: string, count: number }) => [d.zone, d.start, d.count])
    const station = await sta("/Things('crowd:station')/Datastreams")
    const all = [...res.body.value, ...(await sta(`/Datastreams('${station.body.value[0]['@iot.id']}')/Observations`)).body.value]
      .map((o: { '@iot.id': string, phenomenonTime: string, result: number }) => [o['@iot.id'].split(':')[1], o.phenomenonTime.split('/')[0], o.result])
    expect(all.sort()).toEqual(published.sort())
    // The withheld window and the running one cannot be asked for by id either.
    for (const start of [w1, current]) expect((await sta(`/Observations('crowd:vredenburg:peopleCount:${start}')`)).status).toBe(404)
    expect((await sta(`/Observations('crowd:vredenburg:peopleCount:${w2}')`)).body.result).toBe(60)
  })

  it('does not let a forged cursor move the clock past the public lag', async () => {
    const token = Buffer.from(JSON.stringify({ v: 1, o: { $orderby: 'phenomenonTime desc' }, t: Date.now() + 86_400_000 })).toString('base64url')
    const res = await sta(`/Datastreams('crowd:vredenburg:peopleCount')/Observations?$skiptoken=${token}`)
    expect(res.status).toBe(200)
    expect(res.body.value[0].phenomenonTime).toBe(`${iso(w3)}/${iso(w3 + Q)}`)
    const garbage = await sta('/Things?$skiptoken=bm90LWEtY3Vyc29y')
    expect(garbage.status).toBe(400)
    expect(garbage.body.code).toBe('API_ERR_VALIDATION')
  })

  it('publishes the bicycle grid only per cell and hour where enough rides and devices contributed', async () => {
    const res = await sta("/Datastreams('snuffelfiets:grid:pm25')/Observations?$expand=FeatureOfInterest")
    expect(res.status).toBe(200)
    expect(res.body.value).toHaveLength(1)
    const [cell] = res.body.value
    expect(cell).toMatchObject({
      '@iot.id': `snuffelfiets:grid:pm25:${busyCell}:${hour}`,
      phenomenonTime: `${iso(hour)}/${iso(hour + 3_600_000)}`,
      result: 14,
      parameters: { min: 10, max: 20, count: 10 }
    })
    expect(cell.FeatureOfInterest).toMatchObject({ '@iot.id': busyCell, encodingType: 'application/geo+json', feature: { type: 'Polygon' } })
    expect(cell.FeatureOfInterest.feature.coordinates[0]).toHaveLength(5)
    const features = await sta('/FeaturesOfInterest?$select=id')
    expect(features.body.value.map((f: { '@iot.id': string }) => f['@iot.id'])).toEqual([busyCell, 'wastebin:bin-1', 'wastebin:bin-2', 'zone:station', 'zone:vredenburg'])
    const grid = await sta("/Things('snuffelfiets:grid')")
    expect(grid.body.properties).toMatchObject({ codegemeente: '344', project: 'snuffelfiets', minRides: 5, minDevices: 2 })
    expect((await sta("/Things('snuffelfiets:grid')/Locations")).body.value).toEqual([])
  })

  it('follows @iot.nextLink to the end, giving every row exactly once and keeping $select', async () => {
    const everything = await sta('/Observations?$top=1000&$select=id')
    const expected = everything.body.value.map((o: { '@iot.id': string }) => o['@iot.id'])
    expect(expected.length).toBe(5 + 4 + 1)
    const seen: string[] = []
    let url: string | undefined = `http://127.0.0.1:${p.httpPort}/sta/v1.1/Observations?$top=3&$select=id,result&$orderby=result%20desc`
    let pages = 0
    while (url !== undefined) {
      const res = await fetch(url)
      expect(res.status).toBe(200)
      const body = await res.json() as { value: Array<Record<string, unknown>>, '@iot.nextLink'?: string }
      for (const row of body.value) {
        expect(Object.keys(row).sort()).toEqual(['@iot.id', 'result'])
        seen.push(row['@iot.id'] as string)
      }
      if (body['@iot.nextLink'] !== undefined) expect(body['@iot.nextLink']).toContain('$select=id%2Cresult')
      url = body['@iot.nextLink']
      pages++
    }
    expect(pages).toBe(4)
    expect(seen).toHaveLength(expected.length)
    expect(new Set(seen)).toEqual(new Set(expected))
    // A changed option next to the cursor is refused rather than mixed in.
    const first = await sta('/Observations?$top=3&$select=id')
    const changed = await fetch(`${first.body['@iot.nextLink'] as string}&$filter=result gt 1`)
    expect(changed.status).toBe(400)
  })

  it('counts and caps $top at 1000', async () => {
    const res = await sta('/Things?$top=5000&$count=true')
    expect(res.body['@iot.count']).toBe(5)
    expect(res.body.value).toHaveLength(5)
    expect(res.body['@iot.nextLink']).toBeUndefined()
  })

  it('refuses an invalid $filter or option with problem+json that says what is supported', async () => {
    for (const path of [`/Things?$filter=${encodeURIComponent("name has 'x'")}`, '/Things?$filter=name', `/Things?$expand=${encodeURIComponent('Datastreams/Observations')}`, '/Things?$resultFormat=dataArray']) {
      const res = await sta(path)
      expect(res.status, path).toBe(400)
      expect(res.headers.get('content-type'), path).toMatch(/^application\/problem\+json/)
      expect(res.body.code, path).toBe('API_ERR_VALIDATION')
      expect(res.body.detail, path).toMatch(/Supported/)
    }
    expect((await sta("/Things('nope')")).status).toBe(404)
    expect((await sta('/HistoricalLocations')).status).toBe(404)
  })

  it('reaches no bicycle, no crowd monitor, no hidden bin and no pseudonym anywhere under /sta', async () => {
    for (const path of ["/Things('snuffelfiets:bike-a')", "/Things('crowd:crowd-vredenburg-1')", "/Datastreams('snuffelfiets:bike-a:pm25')", "/Datastreams('crowd:crowd-vredenburg-1:peopleCount')", "/Things('wastebin:bin-hidden')", `/Observations('wastebin:bin-hidden:fillingLevel:${binTimes[0]}')`]) {
      expect((await sta(path)).status, path).toBe(404)
    }
    const expansions: Record<string, string> = {
      Things: 'Locations,Datastreams',
      Locations: 'Things',
      Sensors: 'Datastreams',
      ObservedProperties: 'Datastreams',
      Datastreams: 'Thing,Sensor,ObservedProperty,Observations',
      Observations: 'Datastream,FeatureOfInterest',
      FeaturesOfInterest: 'Observations'
    }
    let text = ''
    for (const [set, expand] of Object.entries(expansions)) {
      const res = await sta(`/${set}?$top=1000&$expand=${expand}`)
      expect(res.status, set).toBe(200)
      expect(res.body.value.length, set).toBeGreaterThan(0)
      text += res.text
    }
    for (const secret of ['bike-a', 'bike-b', 'crowd-vredenburg', 'crowd-station-1', 'bin-hidden', 'pseudonym', '"result":3,', '"result":99', '"result":98', '"result":77']) {
      expect(text, secret).not.toContain(secret)
    }
    // The sensing method of a kind is one Sensor, never a device.
    expect((await sta('/Sensors?$select=id')).body.value).toEqual([{ '@iot.id': 'crowd' }, { '@iot.id': 'snuffelfiets' }, { '@iot.id': 'wastebin' }])
  })
})

import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import mqtt from 'mqtt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api, ADMIN_TOKEN, connectSensor, registerSensor, startTestPlatform, topic, type RegisteredSensor, type TestPlatform } from '../helpers/platform.js'

/**
 * The canary (privacy rules 3, 5 and 10): sensors send identifiers, secrets and exact bicycle
 * coordinates through the whole platform. Afterwards none of them may be found in the
 * database files (as text or, for coordinates, as the stored doubles), in any open API
 * answer, or in the logs captured at trace level.
 */
const CANARIES = {
  mac: 'a4:5e:60:d2:11:9f',
  email: 'canary.person@example.nl',
  imei: '490154203237518',
  phone: '0612345678',
  plate: 'GZ-123-X',
  bsn: '111222333',
  uuid: '3f2b8c1e-9d4a-4e7b-8c2f-5a6d7e8f9a0b'
}

describe('canary: nothing identifying is kept, published or logged', () => {
  let p: TestPlatform
  let bin: RegisteredSensor
  let crowd: RegisteredSensor
  let bike: RegisteredSensor
  let logs = ''
  const fixes: Array<{ lat: number, lon: number }> = []
  const answers: string[] = []

  beforeAll(async () => {
    const logTo = new PassThrough()
    logTo.on('data', (chunk: Buffer) => { logs += chunk.toString() })
    p = await startTestPlatform({ logTo, env: { LOG_LEVEL: 'trace' } })
    bin = await registerSensor(p, 'wastebin', 'bin-canary')
    crowd = await registerSensor(p, 'crowd', 'crowd-canary')
    bike = await registerSensor(p, 'snuffelfiets', 'bike-canary')

    const binClient = await connectSensor(p, bin)
    const crowdClient = await connectSensor(p, crowd)
    for (const value of Object.values(CANARIES)) {
      await binClient.publishAsync(topic(bin, 'json'), JSON.stringify({ fillingLevel: 10, note: value }), { qos: 1 })
      await binClient.publishAsync(topic(bin, 'json'), JSON.stringify({ fillingLevel: 10, [value]: 1 }), { qos: 1 })
      await crowdClient.publishAsync(topic(crowd, 'senml'), JSON.stringify([{ bn: `urn:dev:${value}:`, n: 'peopleCount', v: 4 }]), { qos: 1 })
      await crowdClient.publishAsync(topic(crowd, 'status'), value, { qos: 1 })
      // A device that uses an identifier as its client id or user name, or a secret as one.
      await refused({ clientId: value, username: value, password: bin.password })
      await refused({ clientId: bin.id, username: bin.id, password: value })
    }
    await binClient.publishAsync(topic(bin, 'json'), JSON.stringify({ fillingLevel: 33 }), { qos: 1 })
    await binClient.endAsync()
    await crowdClient.endAsync()

    // One ride of 60 fixes, 10 s and about 60 m apart, eastwards through the centre.
    const bikeClient = await connectSensor(p, bike)
    const t0 = Date.now() - 20 * 60_000
    for (let i = 0; i < 60; i++) {
      const fix = { lat: 52.0901234 + i * 0.0000713, lon: 5.1001234 + i * 0.000871 }
      fixes.push(fix)
      await bikeClient.publishAsync(topic(bike, 'json'), JSON.stringify({ pm25: 10 + (i % 7), trip: 7, time: new Date(t0 + i * 10_000).toISOString(), ...fix }), { qos: 1 })
    }
    await bikeClient.endAsync()

    for (const path of ['/v1/sensors', '/v1/zones', '/v1/kinds', '/v1/latest', '/v1/observations?kind=wastebin&from=0', '/v1/grid?kind=snuffelfiets&from=0', '/v1/crowd', '/metrics', '/sensors', `/s/${bin.id}`, `/s/${crowd.id}`, `/s/${bike.id}`, `/v1/sensors/${bike.id}`]) {
      answers.push((await api(p, 'GET', path, undefined, null)).text)
    }
    answers.push((await api(p, 'GET', '/v1/observations?kind=crowd&from=0', undefined, ADMIN_TOKEN)).text)
    await p.close()
  })
  afterAll(async () => { await p.destroy() })

  async function refused (options: mqtt.IClientOptions): Promise<void> {
    await new Promise<void>((resolve) => {
      const client = mqtt.connect({ host: '127.0.0.1', port: p.mqttPort, reconnectPeriod: 0, connectTimeout: 3_000, ...options })
      const done = (): void => { client.end(true); resolve() }
      client.on('connect', done)
      client.on('error', done)
      client.on('close', done)
    })
  }

  function secrets (): string[] {
    return [ADMIN_TOKEN, bin.password, crowd.password, bike.password]
  }

  function coordinateTexts (): string[] {
    return fixes.flatMap(({ lat, lon }) => [lat.toFixed(7), lon.toFixed(7)])
  }

  it('kept a real reading, so the search looks at a live database', () => {
    expect(answers.join()).toContain('"value":33')
  })

  it('finds no identifier, secret or coordinate in the database files', () => {
    const files = readdirSync(p.dataDir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile())
    expect(files.map((f) => f.name)).toEqual(expect.arrayContaining(['registry.duckdb', 'timeseries.duckdb', 'grid.duckdb']))
    const needles: Array<[string, Buffer]> = [
      ...Object.entries(CANARIES).map(([k, v]) => [k, Buffer.from(v)] as [string, Buffer]),
      ...secrets().map((s, i) => [`secret ${i}`, Buffer.from(s)] as [string, Buffer]),
      ...coordinateTexts().map((c) => [`coordinate ${c}`, Buffer.from(c)] as [string, Buffer]),
      ...fixes.flatMap(({ lat, lon }) => [lat, lon].map((v) => {
        const bytes = Buffer.alloc(8)
        bytes.writeDoubleLE(v)
        return [`coordinate double ${v}`, bytes] as [string, Buffer]
      }))
    ]
    for (const file of files) {
      const content = readFileSync(join(file.parentPath, file.name))
      for (const [name, needle] of needles) expect(content.includes(needle), `${name} in ${file.name}`).toBe(false)
    }
  })

  it('finds none in any open API answer', () => {
    const text = answers.join('\n')
    for (const needle of [...Object.values(CANARIES), ...secrets(), ...coordinateTexts()]) expect(text).not.toContain(needle)
  })

  it('finds none in the logs, which did record the rejections', () => {
    expect(logs).toContain('mqtt connect refused')
    for (const needle of [...Object.values(CANARIES), ...secrets(), ...coordinateTexts()]) expect(logs).not.toContain(needle)
  })
})

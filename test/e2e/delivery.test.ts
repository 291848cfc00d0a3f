import { connect as netConnect } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api, connectSensor, registerSensor, startTestPlatform, topic, ZONE_VREDENBURG, type RegisteredSensor, type TestPlatform } from '../helpers/platform.js'

/**
 * Delivery under redelivery, poison messages, replays and hostile length headers (issue #7
 * items 2, 10 and 14).
 */
describe('delivery', () => {
  let p: TestPlatform
  let bin: RegisteredSensor
  let crowd: RegisteredSensor

  beforeAll(async () => {
    p = await startTestPlatform({ env: { ALERT_MIN_DURATION_S: '0' } })
    bin = await registerSensor(p, 'wastebin', 'bin-delivery')
    expect((await api(p, 'POST', '/v1/admin/zones', { ...ZONE_VREDENBURG, id: 'kleinplein', name: 'Klein plein', areaM2: 100 })).status).toBe(201)
    crowd = await registerSensor(p, 'crowd', 'crowd-delivery', { zoneId: 'kleinplein' })
  })
  afterAll(async () => { await p.destroy() })

  it('stores a redelivered message (DUP flag) once', async () => {
    const client = await connectSensor(p, bin)
    const time = new Date(Date.now() - 30_000).toISOString()
    const payload = JSON.stringify({ fillingLevel: 51, time })
    await client.publishAsync(topic(bin, 'json'), payload, { qos: 1 })
    await client.publishAsync(topic(bin, 'json'), payload, { qos: 1, dup: true })
    await client.endAsync()
    const obs = await api(p, 'GET', `/v1/observations?sensor=${bin.id}&field=fillingLevel`, undefined, null)
    expect(obs.body.data.filter((o: { time: string }) => o.time === time)).toHaveLength(1)
  })

  it('rejects a poison message among good ones without holding the others up', async () => {
    const client = await connectSensor(p, bin)
    const base = Date.now() - 20_000
    const sends = [
      client.publishAsync(topic(bin, 'json'), JSON.stringify({ fillingLevel: 1, time: new Date(base).toISOString() }), { qos: 1 }),
      client.publishAsync(topic(bin, 'json'), '{"fillingLevel": 2, "time": ', { qos: 1 }),
      client.publishAsync(topic(bin, 'senml'), '[{"n":"fillingLevel","v":1e400}]', { qos: 1 }),
      client.publishAsync(topic(bin, 'json'), JSON.stringify({ fillingLevel: 3, time: new Date(base + 1000).toISOString() }), { qos: 1 })
    ]
    await Promise.all(sends)
    await client.endAsync()
    const obs = await api(p, 'GET', `/v1/observations?sensor=${bin.id}&field=fillingLevel&from=${(base - 1) / 1000}&to=${(base + 2000) / 1000}`, undefined, null)
    expect(obs.body.data.map((o: { value: number }) => o.value)).toEqual([1, 3])
  })

  it('does not let a replayed old count retrigger an alert', async () => {
    const client = await connectSensor(p, crowd)
    const t = (secondsAgo: number) => new Date(Date.now() - secondsAgo * 1000).toISOString()
    await client.publishAsync(topic(crowd, 'json'), JSON.stringify({ peopleCount: 120, time: t(30) }), { qos: 1 })
    await p.alerts.tick(Date.now())
    await client.publishAsync(topic(crowd, 'json'), JSON.stringify({ peopleCount: 10, time: t(20) }), { qos: 1 })
    await p.alerts.tick(Date.now())
    const before = (await api(p, 'GET', '/v1/alerts?zone=kleinplein')).body.events.filter((e: { type: string }) => e.type === 'level')
    expect(before.map((e: { level: string }) => e.level)).toEqual(['normal', 'critical'])
    // The same critical count again, as a replay: older than the newest reading, so ignored.
    await client.publishAsync(topic(crowd, 'json'), JSON.stringify({ peopleCount: 120, time: t(30) }), { qos: 1 })
    await p.alerts.tick(Date.now())
    const after = (await api(p, 'GET', '/v1/alerts?zone=kleinplein')).body.events.filter((e: { type: string }) => e.type === 'level')
    expect(after).toHaveLength(2)
    // And one a day old is refused outright, with its reason on the errors topic.
    const heard: string[] = []
    client.on('message', (_t, payload) => heard.push(JSON.parse(payload.toString()).code))
    await client.subscribeAsync(topic(crowd, 'errors'))
    await client.publishAsync(topic(crowd, 'json'), JSON.stringify({ peopleCount: 120, time: t(86_400) }), { qos: 1 })
    await waitFor(() => heard.length > 0)
    expect(heard).toEqual(['INGEST_ERR_TOO_LATE'])
    await client.endAsync()
  })

  it('keeps memory flat while two sockets try to push 200 MB each behind a huge length header', async () => {
    const before = process.memoryUsage().rss
    const push = () => new Promise<number>((resolve) => {
      const socket = netConnect(p.mqttPort, '127.0.0.1')
      let sent = 0
      const chunk = Buffer.alloc(1024 * 1024, 0x41)
      socket.on('error', () => {})
      socket.on('close', () => resolve(sent))
      socket.on('connect', () => {
        // CONNECT announcing 256 MB, then as much body as the socket takes, up to 200 MB.
        socket.write(Buffer.from([0x10, 0xff, 0xff, 0xff, 0x7f]))
        const more = (): void => {
          while (sent < 200 * 1024 * 1024 && !socket.destroyed) {
            sent += chunk.length
            if (!socket.write(chunk)) { socket.once('drain', more); return }
          }
          socket.end()
        }
        more()
      })
    })
    const sent = await Promise.all([push(), push()])
    expect(process.memoryUsage().rss - before).toBeLessThan(50 * 1024 * 1024)
    // The broker closed them long before 200 MB went through.
    for (const n of sent) expect(n).toBeLessThan(200 * 1024 * 1024)
    expect((await api(p, 'GET', '/healthz', undefined, null)).status).toBe(200)
  })
})

async function waitFor (check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error('not in time')
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

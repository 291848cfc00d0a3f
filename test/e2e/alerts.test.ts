import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ZONE_VREDENBURG, api, connectSensor, registerSensor, startTestPlatform, topic, type RegisteredSensor, type TestPlatform } from '../helpers/platform.js'
import { openSse, type SseClient } from '../helpers/sse.js'

/**
 * A crowd monitor, publishing over MQTT as the simulator does, drives a zone from quiet to
 * critical and back; a real SSE client receives the alert events in order, resumes with
 * Last-Event-ID, and acknowledging is recorded with who and when.
 */
describe('crowd alerts, end to end', () => {
  let p: TestPlatform
  let monitor: RegisteredSensor
  let token: string
  let sse: SseClient
  const zone = { ...ZONE_VREDENBURG, id: 'plein', name: 'Plein', areaM2: 100 }

  const alerts = (events: Array<{ event: string, data: string }>) => events.filter((e) => e.event === 'alert').map((e) => JSON.parse(e.data))
  // A monitor that never reported counts as silent, so a tick of the platform's own schedule
  // between registration and the first count may add a no-signal/signal pair before these.
  const levels = (events: Array<{ event: string, data: string }>) => alerts(events).filter((a) => a.type === 'level')
  const streamUrl = () => `http://127.0.0.1:${p.httpPort}/v1/alerts/stream`

  async function count (people: number): Promise<void> {
    const client = await connectSensor(p, monitor)
    await client.publishAsync(topic(monitor, 'json'), JSON.stringify({ peopleCount: people }), { qos: 1 })
    await client.endAsync()
    await p.alerts.tick(Date.now())
  }

  beforeAll(async () => {
    // No minimum duration, so each published count decides the level at the next tick.
    p = await startTestPlatform({ env: { ALERT_MIN_DURATION_S: '0' } })
    expect((await api(p, 'POST', '/v1/admin/zones', zone)).status).toBe(201)
    monitor = await registerSensor(p, 'crowd', 'crowd-plein', { zoneId: zone.id })
    token = (await api(p, 'POST', '/v1/admin/tokens', { role: 'enforcement', name: 'Team Centrum' })).body.token
    sse = await openSse(streamUrl(), { authorization: `Bearer ${token}` })
  })
  afterAll(async () => {
    sse?.close()
    await p.destroy()
  })

  it('streams every level change in order, with exact counts and densities', async () => {
    expect(sse.status).toBe(200)
    // Defaults: busy 0.5, crowded 0.8, critical 1.0 persons per m2; the zone is 100 m2.
    for (const people of [10, 60, 90, 120, 10]) await count(people)
    const events = levels(await sse.until((e) => levels(e).length >= 4))
    expect(events.map((e) => [e.type, e.previousLevel, e.level, e.count, e.density, e.threshold])).toEqual([
      ['level', 'normal', 'busy', 60, 0.6, 0.5],
      ['level', 'busy', 'crowded', 90, 0.9, 0.8],
      ['level', 'crowded', 'critical', 120, 1.2, 1],
      ['level', 'critical', 'normal', 10, 0.1, 1]
    ])
    expect(events.map((e) => Number(e.id))).toEqual([...events.map((e) => Number(e.id))].sort((a, b) => a - b))
    const zones = sse.events.filter((e) => e.event === 'zones').map((e) => JSON.parse(e.data))
    expect(zones.at(-1)[0]).toMatchObject({ zoneId: 'plein', level: 'normal', count: 10, density: 0.1, silentSensorIds: [] })
  })

  it('replays what a viewer missed when it reconnects with Last-Event-ID', async () => {
    const first = levels(sse.events)[0]
    const resumed = await openSse(streamUrl(), { authorization: `Bearer ${token}`, 'last-event-id': first.id })
    const replayed = levels(await resumed.until((e) => levels(e).length >= 3))
    expect(replayed.map((e) => e.level)).toEqual(['crowded', 'critical', 'normal'])
    resumed.close()
  })

  it('records who acknowledged an alert and when, once', async () => {
    const critical = alerts(sse.events).find((e) => e.level === 'critical')
    const ack = await api(p, 'POST', `/v1/alerts/${critical.id}/ack`, undefined, token)
    expect(ack.status).toBe(200)
    expect(ack.body.ack).toMatchObject({ by: 'Team Centrum' })
    expect(Date.parse(ack.body.ack.at)).toBeGreaterThan(Date.now() - 60_000)
    const again = await api(p, 'POST', `/v1/alerts/${critical.id}/ack`, undefined)
    expect(again.body.ack).toEqual(ack.body.ack)
    // Every open stream hears it, so other dashboards update without a reload.
    const heard = await sse.until((e) => e.some((x) => x.event === 'ack'))
    expect(JSON.parse(heard.find((x) => x.event === 'ack')!.data)).toMatchObject({ id: critical.id, ack: { by: 'Team Centrum' } })
    const listed = await api(p, 'GET', '/v1/alerts?zone=plein', undefined, token)
    expect(listed.body.events.find((e: { id: string }) => e.id === critical.id).ack.by).toBe('Team Centrum')
    expect((await api(p, 'POST', '/v1/alerts/999999/ack', undefined, token)).status).toBe(404)
  })

  it('says "no signal" when a monitor goes quiet, and when it comes back', async () => {
    const seen = alerts(sse.events).length
    const since = (events: Array<{ event: string, data: string }>) => alerts(events).slice(seen)
    // Ten minutes on, the monitor (expected every 60 s) has been silent too long.
    await p.alerts.tick(Date.now() + 10 * 60_000)
    await sse.until((e) => since(e).some((a) => a.type === 'no-signal'))
    expect(p.alerts.states()[0]).toMatchObject({ zoneId: 'plein', silentSensorIds: ['crowd-plein'], count: 0 })
    await count(20)
    const events = since(await sse.until((e) => since(e).some((a) => a.type === 'signal')))
    expect(events.filter((e) => e.type !== 'level').map((e) => [e.type, e.sensorIds])).toEqual([['no-signal', ['crowd-plein']], ['signal', ['crowd-plein']]])
  })

  it('keeps the stream and the alerts behind an enforcement or admin token', async () => {
    expect((await api(p, 'GET', '/v1/alerts', undefined, null)).status).toBe(401)
    const ops = (await api(p, 'POST', '/v1/admin/tokens', { role: 'operations', name: 'afval' })).body.token
    expect((await api(p, 'GET', '/v1/alerts', undefined, ops)).status).toBe(403)
    const anonymous = await openSse(streamUrl(), {})
    expect(anonymous.status).toBe(401)
    anonymous.close()
  })
})

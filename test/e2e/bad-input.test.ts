import { connect } from 'node:net'
import type { MqttClient } from 'mqtt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { localWeekMinute } from '../../core/active-periods.js'
import { WEEKDAYS } from '../../core/sensor.js'
import { ADMIN_TOKEN, api, closed, connectSensor, registerSensor, startTestPlatform, topic, ZONE_VREDENBURG, type RegisteredSensor, type TestPlatform } from '../helpers/platform.js'

/**
 * Every kind of bad reading is dropped with its code on the sensor's errors topic, nothing
 * of it is stored, the process stays healthy, and another sensor's readings all land.
 */
describe('bad input', () => {
  let p: TestPlatform
  let bad: RegisteredSensor
  let good: RegisteredSensor
  let client: MqttClient
  const notices: Array<{ code: string, field?: string, message: string, receivedAt: string }> = []

  beforeAll(async () => {
    p = await startTestPlatform()
    bad = await registerSensor(p, 'crowd', 'crowd-bad')
    good = await registerSensor(p, 'wastebin', 'bin-good')
    client = await connectSensor(p, bad)
    client.on('message', (_topic, payload) => notices.push(JSON.parse(payload.toString())))
    await client.subscribeAsync(topic(bad, 'errors'), { qos: 0 })
  })
  afterAll(async () => {
    client.end(true)
    await p.destroy()
  })

  const now = () => Math.floor(Date.now() / 1000)
  const cases: Array<[string, 'senml' | 'json', string | Buffer, string, string?]> = [
    ['malformed JSON', 'json', '{"peopleCount": 3', 'INGEST_ERR_MALFORMED'],
    ['invalid UTF-8', 'json', Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]), 'INGEST_ERR_MALFORMED'],
    ['SenML that is not an array', 'senml', '{"n":"peopleCount","v":3}', 'INGEST_ERR_SENML'],
    ['SenML with a bad base time', 'senml', '[{"bt":"yesterday","n":"peopleCount","v":3}]', 'INGEST_ERR_SENML'],
    ['SenML with a bad base name', 'senml', '[{"bn":42,"n":"peopleCount","v":3}]', 'INGEST_ERR_SENML'],
    ['an undeclared field', 'json', '{"peopleCount": 3, "mac": 1}', 'INGEST_ERR_UNDECLARED_FIELD', 'mac'],
    ['a string where a number belongs', 'json', '{"peopleCount": "three"}', 'INGEST_ERR_TYPE', 'peopleCount'],
    ['a SenML string value', 'senml', '[{"n":"peopleCount","vs":"three"}]', 'INGEST_ERR_TYPE', 'peopleCount'],
    ['a number too large to be finite', 'json', '{"peopleCount": 1e400}', 'INGEST_ERR_NOT_FINITE'],
    ['a negative count', 'json', '{"peopleCount": -1}', 'INGEST_ERR_OUT_OF_RANGE', 'peopleCount'],
    ['a __proto__ key', 'json', '{"peopleCount": 3, "__proto__": {"polluted": 1}}', 'INGEST_ERR_FORBIDDEN_KEY'],
    ['a far-future time', 'json', JSON.stringify({ peopleCount: 3, time: now() + 3600 }), 'INGEST_ERR_FUTURE'],
    ['a time older than the allowed lateness', 'json', JSON.stringify({ peopleCount: 3, time: now() - 86_400 }), 'INGEST_ERR_TOO_LATE'],
    ['a wrong unit', 'senml', '[{"n":"peopleCount","u":"Cel","v":3}]', 'INGEST_ERR_UNIT'],
    ['a count above the zone\'s capacity', 'json', '{"peopleCount": 5001}', 'INGEST_ERR_OUT_OF_RANGE', 'peopleCount'],
    ['a MAC address in a SenML base name', 'senml', '[{"bn":"urn:dev:mac:0024befffe804ff1:","n":"peopleCount","v":3}]', 'INGEST_ERR_IDENTIFIER'],
    ['an e-mail address in a value', 'json', '{"peopleCount": 3, "note": "jan@example.nl"}', 'INGEST_ERR_IDENTIFIER', 'note'],
    ['an IMEI as a key', 'json', '{"peopleCount": 3, "352099001761481": 1}', 'INGEST_ERR_IDENTIFIER', '(key)']
  ]

  for (const [name, channel, payload, code, field] of cases) {
    it(`drops ${name} with ${code}`, async () => {
      const before = notices.length
      // QoS 1: the PUBACK still comes (the message was handled, by rejecting it), so a
      // sensor does not resend what can never be accepted.
      await client.publishAsync(topic(bad, channel), payload, { qos: 1 })
      const notice = await waitFor(() => notices[before])
      expect(notice.code).toBe(code)
      if (field !== undefined) expect(notice.field).toBe(field)
      expect(Date.parse(notice.receivedAt)).toBeGreaterThan(Date.now() - 60_000)
    })
  }

  it('never echoes the payload back in the notice', () => {
    expect(JSON.stringify(notices)).not.toMatch(/polluted|three|0024befffe804ff1|jan@example|352099001761481/)
  })

  it('drops counts outside the zone\'s registered active periods', async () => {
    // A one-hour period twelve hours away from now, in the city's local time.
    const { day, minute } = localWeekMinute(Date.now())
    const start = (minute + 12 * 60) % (24 * 60)
    const clock = (m: number) => `${String(Math.floor(m / 60) % 24).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`
    const zone = await api(p, 'POST', '/v1/admin/zones', { ...ZONE_VREDENBURG, id: 'nachtzone', name: 'Nachtzone', activePeriods: [{ days: [WEEKDAYS[day]!], from: clock(start), to: clock(start + 60) }] })
    expect(zone.status).toBe(201)
    const sleepy = await registerSensor(p, 'crowd', 'crowd-nacht', { zoneId: 'nachtzone' })
    const sleepyClient = await connectSensor(p, sleepy)
    const heard: string[] = []
    sleepyClient.on('message', (_t, payload) => heard.push(JSON.parse(payload.toString()).code))
    await sleepyClient.subscribeAsync(topic(sleepy, 'errors'))
    await sleepyClient.publishAsync(topic(sleepy, 'json'), '{"peopleCount": 40}', { qos: 1 })
    expect(await waitFor(() => heard[0])).toBe('INGEST_ERR_INACTIVE_PERIOD')
    await sleepyClient.endAsync()
  })

  it('counts rejections per sensor and code', async () => {
    const metrics = await api(p, 'GET', '/metrics', undefined, null)
    expect(metrics.text).toMatch(/sensorstad_messages_rejected_total\{sensor="crowd-bad",kind="crowd",code="INGEST_ERR_UNDECLARED_FIELD"\} 1/)
    expect(metrics.text).toMatch(/sensorstad_messages_rejected_total\{sensor="crowd-bad",kind="crowd",code="INGEST_ERR_MALFORMED"\} 2/)
  })

  it('refuses a 1 MB payload at the broker by closing the connection', async () => {
    const big = await connectSensor(p, bad, { clientId: bad.id })
    const isClosed = closed(big)
    big.publish(topic(bad, 'json'), Buffer.alloc(1024 * 1024, 0x20), { qos: 1 })
    await isClosed
    big.end(true)
  })

  it('closes a socket that announces a 256 MB packet before CONNECT, within a second', async () => {
    const socket = connect(p.mqttPort, '127.0.0.1')
    await new Promise((resolve) => socket.once('connect', resolve))
    const started = Date.now()
    const gone = new Promise((resolve) => socket.once('close', resolve))
    socket.write(Buffer.from([0x10, 0xff, 0xff, 0xff, 0x7f]))
    socket.write(Buffer.alloc(64 * 1024))
    socket.on('error', () => {})
    await gone
    expect(Date.now() - started).toBeLessThan(1_000)
  })

  it('stored nothing of the bad sensor, stays healthy, and stores every reading of the good one', async () => {
    const goodClient = await connectSensor(p, good)
    const start = now() - 500
    for (let i = 0; i < 50; i++) {
      await goodClient.publishAsync(topic(good, 'json'), JSON.stringify({ fillingLevel: i, time: start + i }), { qos: 1 })
    }
    await goodClient.endAsync()
    const goodObs = await api(p, 'GET', `/v1/observations?sensor=${good.id}`, undefined, null)
    expect(goodObs.body.data.map((o: { value: number }) => o.value)).toEqual(Array.from({ length: 50 }, (_, i) => i))
    const badObs = await api(p, 'GET', `/v1/observations?sensor=${bad.id}&from=0`, undefined, ADMIN_TOKEN)
    expect(badObs.body.data).toEqual([])
    expect((await api(p, 'GET', '/healthz', undefined, null)).status).toBe(200)
    expect((await api(p, 'GET', '/readyz', undefined, null)).status).toBe(200)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })
})

async function waitFor<T> (get: () => T | undefined, timeoutMs = 3_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = get()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error('no notice on the errors topic')
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

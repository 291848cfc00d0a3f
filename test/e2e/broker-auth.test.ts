import mqtt from 'mqtt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api, closed, connectSensor, registerSensor, startTestPlatform, topic, type RegisteredSensor, type TestPlatform } from '../helpers/platform.js'

/**
 * Broker policy over real sockets: every refusal, and after each the honest sensor still
 * gets its readings stored.
 */
describe('broker authentication and authorisation', () => {
  let p: TestPlatform
  let honest: RegisteredSensor
  let other: RegisteredSensor
  let sent = 0
  // Each reading gets its own second: writes are idempotent on (sensor, field, time).
  const startS = Math.floor(Date.now() / 1000) - 600

  beforeAll(async () => {
    p = await startTestPlatform()
    honest = await registerSensor(p, 'wastebin', 'bin-honest')
    other = await registerSensor(p, 'wastebin', 'bin-other')
  })
  afterAll(async () => { await p.destroy() })

  /** The honest sensor publishes one more reading and it is stored. */
  async function honestStillWorks (): Promise<void> {
    const client = await connectSensor(p, honest)
    sent++
    await client.publishAsync(topic(honest, 'json'), JSON.stringify({ fillingLevel: sent, time: startS + sent }), { qos: 1 })
    await client.endAsync()
    const obs = await api(p, 'GET', `/v1/observations?sensor=${honest.id}`, undefined, null)
    expect(obs.body.data).toHaveLength(sent)
  }

  function refusedConnect (options: mqtt.IClientOptions): Promise<number | undefined> {
    return new Promise((resolve, reject) => {
      const client = mqtt.connect({ host: '127.0.0.1', port: p.mqttPort, reconnectPeriod: 0, connectTimeout: 3_000, ...options })
      client.on('connect', () => { client.end(true); reject(new Error('connected but should have been refused')) })
      client.on('error', (err) => { client.end(true); resolve((err as { code?: number }).code) })
    })
  }

  it('refuses a wrong secret', async () => {
    expect(await refusedConnect({ clientId: honest.id, username: honest.id, password: 'wrong' })).toBe(4)
    await honestStillWorks()
  })

  it('refuses an unknown sensor', async () => {
    expect(await refusedConnect({ clientId: 'ghost', username: 'ghost', password: honest.password })).toBe(4)
    await honestStillWorks()
  })

  it('refuses a client id other than the sensor id', async () => {
    expect(await refusedConnect({ clientId: 'someone-else', username: honest.id, password: honest.password })).toBe(2)
    await honestStillWorks()
  })

  it('closes a connection that publishes on another sensor\'s topic, and stores nothing', async () => {
    const client = await connectSensor(p, other)
    const isClosed = closed(client)
    client.publish(topic(honest, 'json'), JSON.stringify({ fillingLevel: 99 }), { qos: 1 })
    await isClosed
    client.end(true)
    await honestStillWorks()
    const obs = await api(p, 'GET', `/v1/observations?sensor=${honest.id}`, undefined, null)
    expect(obs.body.data.map((o: { value: number }) => o.value)).not.toContain(99)
  })

  it('closes a connection that publishes on $SYS', async () => {
    const client = await connectSensor(p, other)
    const isClosed = closed(client)
    client.publish('$SYS/broker/hack', 'x', { qos: 1 })
    await isClosed
    client.end(true)
    await honestStillWorks()
  })

  it('refuses retained readings', async () => {
    const client = await connectSensor(p, other)
    const isClosed = closed(client)
    client.publish(topic(other, 'json'), JSON.stringify({ fillingLevel: 5 }), { qos: 1, retain: true })
    await isClosed
    client.end(true)
    expect((await api(p, 'GET', `/v1/observations?sensor=${other.id}`, undefined, null)).body.data).toEqual([])
  })

  it('refuses wildcard subscriptions and other sensors\' errors, allows its own errors topic', async () => {
    const client = await connectSensor(p, other)
    // MQTT 3.1.1 section 3.9.3: 0x80 in the SUBACK is a refusal; MQTT.js rejects on it.
    await expect(client.subscribeAsync('utrecht/v1/#')).rejects.toThrow()
    await expect(client.subscribeAsync('utrecht/v1/wastebin/+/errors')).rejects.toThrow()
    await expect(client.subscribeAsync(topic(honest, 'errors'))).rejects.toThrow()
    const granted = await client.subscribeAsync(topic(other, 'errors'), { qos: 0 })
    expect(granted.map((g) => g.qos)).toEqual([0])
    await client.endAsync()
    await honestStillWorks()
  })

  it('refuses a suspended sensor and closes its live connection', async () => {
    const client = await connectSensor(p, other)
    const isClosed = closed(client)
    const res = await api(p, 'POST', `/v1/admin/sensors/${other.id}/suspend`)
    expect(res.status).toBe(200)
    expect(res.body.status).toBe('suspended')
    await isClosed
    client.end(true)
    expect(await refusedConnect({ clientId: other.id, username: other.id, password: other.password })).toBe(4)
    await honestStillWorks()
    // Resumed, it connects again with the same secret.
    await api(p, 'POST', `/v1/admin/sensors/${other.id}/resume`)
    const back = await connectSensor(p, other)
    await back.endAsync()
  })

  it('rotating a secret closes the connection and only the new secret works', async () => {
    const client = await connectSensor(p, other)
    const isClosed = closed(client)
    const res = await api(p, 'POST', `/v1/admin/sensors/${other.id}/rotate`)
    expect(res.status).toBe(200)
    await isClosed
    client.end(true)
    expect(await refusedConnect({ clientId: other.id, username: other.id, password: other.password })).toBe(4)
    const fresh = await connectSensor(p, { id: other.id, password: res.body.credentials.password })
    await fresh.endAsync()
  })

  it('revocation discards the sensor\'s session: subscriptions and anything queued for it', async () => {
    const sessionPresent = async (password: string): Promise<boolean> => {
      const client = await connectSensor(p, { id: other.id, password }, { clean: false })
      // MQTT.js keeps the CONNACK it connected with.
      const present = (client as unknown as { connackPacket?: { sessionPresent: boolean } }).connackPacket?.sessionPresent === true
      await client.subscribeAsync(topic(other, 'errors'), { qos: 1 })
      await client.endAsync()
      return present
    }
    const first = await api(p, 'POST', `/v1/admin/sensors/${other.id}/rotate`)
    const password = first.body.credentials.password as string
    await sessionPresent(password)
    // Control: without a revocation the broker keeps the session across a reconnect.
    expect(await sessionPresent(password)).toBe(true)
    const rotated = await api(p, 'POST', `/v1/admin/sensors/${other.id}/rotate`)
    expect(await sessionPresent(rotated.body.credentials.password)).toBe(false)
    await api(p, 'POST', `/v1/admin/sensors/${other.id}/suspend`)
    await api(p, 'POST', `/v1/admin/sensors/${other.id}/resume`)
    expect(await sessionPresent(rotated.body.credentials.password)).toBe(false)
  })

  it('guards the admin API with bearer tokens and roles', async () => {
    expect((await api(p, 'GET', '/v1/admin/sensors', undefined, null)).body.code).toBe('API_ERR_UNAUTHORIZED')
    expect((await api(p, 'GET', '/v1/admin/sensors', undefined, 'sst_000000000000_wrong')).status).toBe(401)
    const issued = await api(p, 'POST', '/v1/admin/tokens', { role: 'enforcement', name: 'team centrum' })
    expect(issued.status).toBe(201)
    const forbidden = await api(p, 'GET', '/v1/admin/sensors', undefined, issued.body.token)
    expect(forbidden.status).toBe(403)
    expect(forbidden.body.code).toBe('API_ERR_FORBIDDEN')
    const admin = await api(p, 'POST', '/v1/admin/tokens', { role: 'admin', name: 'second admin' })
    const list = await api(p, 'GET', '/v1/admin/sensors', undefined, admin.body.token)
    expect(list.status).toBe(200)
    expect(list.body.data.length).toBeGreaterThanOrEqual(2)
  })
})

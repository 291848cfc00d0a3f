import { once } from 'node:events'
import { createServer, type AddressInfo, type Server } from 'node:net'
import { Aedes, type AuthenticateError, type PublishPacket } from 'aedes'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { Device, DeviceConnectError } from '../../simulators/device.js'
import { Stats } from '../../simulators/stats.js'

// A real broker on a free port stands in for the platform's: it knows one sensor and can hold acks.
const ROOT = 'utrecht/v1'
const SECRET = 's3cret-for-tests'
let broker: Aedes
let server: Server
let url: string
let holdAcks = false
const held: Array<() => void> = []
const published: PublishPacket[] = []

beforeAll(async () => {
  broker = await Aedes.createBroker()
  broker.authenticate = (client, username, password, done) => {
    if (username === 'dev-1' && client.id === 'dev-1' && password?.toString() === SECRET) return done(null, true)
    done(Object.assign(new Error('bad credentials'), { returnCode: 4 }) as AuthenticateError, false)
  }
  broker.authorizePublish = (_client, packet, callback) => {
    published.push(packet)
    if (holdAcks && !packet.topic.endsWith('/status')) held.push(() => callback(null))
    else callback(null)
  }
  server = createServer(broker.handle)
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  url = `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(async () => {
  server.close()
  await new Promise<void>((resolve) => broker.close(() => resolve()))
})

const opened: Device[] = []
afterEach(async () => {
  holdAcks = false
  for (const release of held.splice(0)) release()
  await Promise.all(opened.splice(0).map((d) => d.close(500)))
  published.length = 0
})

function device (stats: Stats, overrides: Partial<{ password: string, brokerUrl: string, maxInFlight: number }> = {}): Device {
  const d = new Device({ id: 'dev-1', kind: 'crowd', password: SECRET, brokerUrl: url, topicRoot: ROOT, qos: 1, maxInFlight: 4, stats, ...overrides })
  opened.push(d)
  return d
}

const until = async (condition: () => boolean): Promise<void> => {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10))
  expect(condition()).toBe(true)
}

describe('Device', () => {
  it('announces itself, publishes on its own topic and counts the PUBACK', async () => {
    const stats = new Stats()
    const d = device(stats)
    await d.connect()
    expect(d.publish({ channel: 'senml', body: '[]' })).toBe(true)
    await until(() => stats.acked === 1)
    expect(stats.sent).toBe(1)
    expect(stats.sentByKind.get('crowd')).toBe(1)
    expect(published.map((p) => p.topic)).toContain(`${ROOT}/crowd/dev-1/senml`)
    const status = published.find((p) => p.topic === `${ROOT}/crowd/dev-1/status`)
    expect(status?.payload.toString()).toBe('online')
    expect(status?.retain).toBe(true)
  })

  it('counts rejections from its errors topic by code', async () => {
    const stats = new Stats()
    await device(stats).connect()
    const send = (payload: string): void => broker.publish({ cmd: 'publish', topic: `${ROOT}/crowd/dev-1/errors`, payload: Buffer.from(payload), qos: 0, retain: false, dup: false }, () => {})
    send(JSON.stringify({ code: 'INGEST_ERR_TYPE', message: 'wrong type', field: 'peopleCount', receivedAt: new Date().toISOString() }))
    send(JSON.stringify({ code: 'INGEST_ERR_TYPE', message: 'wrong type', receivedAt: new Date().toISOString() }))
    send('not json')
    await until(() => stats.rejected === 3)
    expect(stats.rejectedByCode.get('INGEST_ERR_TYPE')).toBe(2)
  })

  it('skips readings rather than queueing them when its in-flight window is full', async () => {
    const stats = new Stats()
    const d = device(stats, { maxInFlight: 2 })
    await d.connect()
    holdAcks = true
    expect(d.publish({ channel: 'json', body: '{}' })).toBe(true)
    expect(d.publish({ channel: 'json', body: '{}' })).toBe(true)
    expect(d.publish({ channel: 'json', body: '{}' })).toBe(false)
    expect(stats.skipped).toBe(1)
    await until(() => held.length === 2)
    held.splice(0).forEach((release) => release())
    await until(() => stats.acked === 2)
    expect(d.inFlight).toBe(0)
  })

  it('leaves a retained offline status when it closes', async () => {
    const d = device(new Stats())
    await d.connect()
    await d.close()
    const last = published.filter((p) => p.topic === `${ROOT}/crowd/dev-1/status`).at(-1)
    expect(last?.payload.toString()).toBe('offline')
    expect(last?.retain).toBe(true)
  })

  it('says why it could not connect: refused credentials, or no broker at all', async () => {
    const refused = device(new Stats(), { password: 'wrong' }).connect()
    await expect(refused).rejects.toBeInstanceOf(DeviceConnectError)
    await expect(refused).rejects.toMatchObject({ failure: 'refused', message: expect.stringMatching(/bad user name or password/) })

    const closed = createServer()
    closed.listen(0, '127.0.0.1')
    await once(closed, 'listening')
    const port = (closed.address() as AddressInfo).port
    closed.close()
    await expect(device(new Stats(), { brokerUrl: `mqtt://127.0.0.1:${port}` }).connect()).rejects.toMatchObject({ failure: 'unreachable' })
  })
})

import { connect, type Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api, closed, connectSensor, eventually, registerSensor, startTestPlatform, topic, type RegisteredSensor, type TestPlatform } from '../helpers/platform.js'

/**
 * What the broker does with hostile or broken clients, over real sockets: bad strings in
 * CONNECT, SUBSCRIBE and PUBLISH, sockets that say nothing, readers that stop reading, and
 * last wills. Raw sockets carry the bytes MQTT.js refuses to send. After each case nothing
 * of it is stored and the honest sensor's next reading is.
 */
describe('broker hygiene', () => {
  let p: TestPlatform
  let honest: RegisteredSensor
  let other: RegisteredSensor
  let sent = 0
  // Each reading gets its own second: writes are idempotent on (sensor, field, time).
  const startS = Math.floor(Date.now() / 1000) - 600

  beforeAll(async () => {
    // A one-second CONNECT timeout, so the idle-socket case runs in test time; the refusals
    // here are many and all from 127.0.0.1, which must not trip the credential-guessing limit.
    p = await startTestPlatform({ env: { MQTT_CONNECT_TIMEOUT_S: '1', MQTT_DRAIN_TIMEOUT_S: '2', MQTT_AUTH_FAILURES_PER_MIN: '10000' } })
    honest = await registerSensor(p, 'wastebin', 'bin-honest')
    other = await registerSensor(p, 'wastebin', 'bin-other')
  })
  afterAll(async () => { await p.destroy() })

  async function honestStillWorks (): Promise<void> {
    const client = await connectSensor(p, honest)
    sent++
    await client.publishAsync(topic(honest, 'json'), JSON.stringify({ fillingLevel: sent, time: startS + sent }), { qos: 1 })
    await client.endAsync()
    const obs = await api(p, 'GET', `/v1/observations?sensor=${honest.id}`, undefined, null)
    expect(obs.body.data.map((o: { value: number }) => o.value)).toEqual(Array.from({ length: sent }, (_, i) => i + 1))
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  }

  // Values of the hostile cases are 90..99, within the wastebin's range (so ingest would
  // store them if the broker let them through) and above any the honest sensor sends.

  /** Every value stored for a sensor, from the store itself. */
  async function storedValues (sensorId: string): Promise<unknown[]> {
    const latest = await p.store.latest({ sensorIds: [sensorId] })
    return latest.map((r) => r.value)
  }

  function raw (): Promise<RawClient> {
    return RawClient.open(p.mqttPort)
  }

  describe('strings in CONNECT (item 1)', () => {
    const bad: Array<[string, Buffer]> = [
      ['an anonymous id with NUL', Buffer.from('open-a\u0000b')],
      ['an anonymous id with a control character', Buffer.from('open-a\u0007b')],
      ['an anonymous id with a C1 control character', Buffer.from('open-a\u0085b')],
      ['an anonymous id with U+FFFF', Buffer.from('open-a\uffffb')],
      ['an anonymous id with invalid UTF-8', Buffer.concat([Buffer.from('open-a'), Buffer.from([0xff, 0xfe])])],
      ['an anonymous id with an encoded surrogate', Buffer.concat([Buffer.from('open-a'), Buffer.from([0xed, 0xa0, 0x80])])]
    ]
    for (const [name, clientId] of bad) {
      it(`refuses ${name}`, async () => {
        const c = await raw()
        c.write(connectPacket({ clientId }))
        expect(await c.refusedOrClosed()).toBe(true)
        await honestStillWorks()
      })
    }

    it('refuses a zero-length client id, anonymous or with a sensor\'s credentials', async () => {
      const anon = await raw()
      anon.write(connectPacket({ clientId: Buffer.alloc(0) }))
      expect(await anon.refusedOrClosed()).toBe(true)
      const sensor = await raw()
      sensor.write(connectPacket({ clientId: Buffer.alloc(0), username: Buffer.from(honest.id), password: Buffer.from(honest.password) }))
      expect(await sensor.refusedOrClosed()).toBe(true)
      await honestStillWorks()
    })

    it('refuses a user name and client id with NUL or invalid UTF-8 after the sensor id', async () => {
      for (const tail of [Buffer.from([0]), Buffer.from([0xff]), Buffer.from('\u0001')]) {
        const id = Buffer.concat([Buffer.from(honest.id), tail])
        const c = await raw()
        c.write(connectPacket({ clientId: id, username: id, password: Buffer.from(honest.password) }))
        expect(await c.refusedOrClosed()).toBe(true)
      }
      await honestStillWorks()
    })

    for (const name of ['__proto__', 'constructor', 'toString']) {
      it(`refuses ${name} as a client id like any unknown sensor`, async () => {
        const c = await raw()
        c.write(connectPacket({ clientId: Buffer.from(name), username: Buffer.from(name), password: Buffer.from(honest.password) }))
        expect(await c.connack()).toBe(4)
        await honestStillWorks()
      })
    }

    it('still accepts a clean anonymous reader', async () => {
      const c = await raw()
      c.write(connectPacket({ clientId: Buffer.from('open-reader-1') }))
      expect(await c.connack()).toBe(0)
      c.socket.destroy()
    })
  })

  describe('strings in SUBSCRIBE and PUBLISH (item 1)', () => {
    const badTopics: Array<[string, Buffer]> = [
      ['NUL', Buffer.from('open/a\u0000b')],
      ['a control character', Buffer.from('open/a\u001bb')],
      ['U+FFFF', Buffer.from('open/a\uffff')],
      ['invalid UTF-8', Buffer.concat([Buffer.from('open/a'), Buffer.from([0xc3, 0x28])])]
    ]
    for (const [i, [name, t]] of badTopics.entries()) {
      it(`refuses an anonymous subscription to a topic with ${name}`, async () => {
        const c = await raw()
        // One id per case: a reused id would take over the session of a case that failed.
        c.write(connectPacket({ clientId: Buffer.from(`open-reader-sub-${i}`) }))
        expect(await c.connack()).toBe(0)
        c.write(subscribePacket(7, t))
        // 0x80 is a refusal in the SUBACK (MQTT 3.1.1 section 3.9.3); a disconnect is one too.
        expect(await c.subackOrClosed()).not.toBe(0)
        c.socket.destroy()
        await honestStillWorks()
      })
    }

    it('closes a sensor that publishes on its own topic with NUL or invalid UTF-8, and stores nothing', async () => {
      for (const tail of [Buffer.from([0]), Buffer.from([0xff])]) {
        const c = await raw()
        c.write(connectPacket({ clientId: Buffer.from(other.id), username: Buffer.from(other.id), password: Buffer.from(other.password) }))
        expect(await c.connack()).toBe(0)
        c.write(publishPacket(Buffer.concat([Buffer.from(topic(other, 'json')), tail]), JSON.stringify({ fillingLevel: 93 }), 1))
        await c.isClosed
      }
      expect(await storedValues(other.id)).toEqual([])
      await honestStillWorks()
    })

    for (const name of ['__proto__', 'constructor', 'toString']) {
      it(`refuses ${name} as a topic to subscribe or publish`, async () => {
        const client = await connectSensor(p, other)
        await expect(client.subscribeAsync(name)).rejects.toThrow()
        const isClosed = closed(client)
        client.publish(name, JSON.stringify({ fillingLevel: 94 }), { qos: 1 })
        await isClosed
        client.end(true)
        expect(await storedValues(other.id)).toEqual([])
        await honestStillWorks()
      })
    }
  })

  describe('idle, slow and silent clients (item 3)', () => {
    it('closes a socket that never sends CONNECT within the connect timeout', async () => {
      const c = await raw()
      const started = Date.now()
      await c.isClosed
      const elapsed = Date.now() - started
      expect(elapsed).toBeGreaterThanOrEqual(800)
      expect(elapsed).toBeLessThan(2_500)
      await honestStillWorks()
    })

    it('disconnects a client that goes silent, within 1.5 times its keep-alive', async () => {
      const c = await raw()
      c.write(connectPacket({ clientId: Buffer.from(other.id), username: Buffer.from(other.id), password: Buffer.from(other.password), keepalive: 1 }))
      expect(await c.connack()).toBe(0)
      const started = Date.now()
      await c.isClosed
      const elapsed = Date.now() - started
      expect(elapsed).toBeGreaterThanOrEqual(900)
      expect(elapsed).toBeLessThan(2_500)
      await honestStillWorks()
    })

    it('a subscriber that stops reading does not hold up other sensors, and is dropped after the drain timeout', async () => {
      const slow = await connectSensor(p, other)
      await slow.subscribeAsync(topic(other, 'errors'), { qos: 0 })
      const socket = (slow as unknown as { stream: Socket }).stream
      socket.pause()
      // Far more than the socket buffers hold: 400 notices of 64 kB is 25 MB.
      const big = Buffer.alloc(64 * 1024, 0x61)
      let flooded = 0
      const flood = Array.from({ length: 400 }, () => p.broker.publish(topic(other, 'errors'), big).then(() => { flooded++ }, () => {}))
      const started = Date.now()
      await honestStillWorks()
      await honestStillWorks()
      // The precondition: the reader really is backed up while the honest sensor is served.
      expect(flooded).toBeLessThan(400)
      expect(Date.now() - started).toBeLessThan(3_000)
      // MQTT_DRAIN_TIMEOUT_S is 2 here: the broker drops the reader that left its socket full.
      // Seen on the broker's side: the paused client cannot read the close.
      const clients = (p.broker.aedes as unknown as { clients: Record<string, unknown> }).clients
      while (clients[other.id] !== undefined && Date.now() - started < 6_000) await new Promise((resolve) => setTimeout(resolve, 50))
      expect(clients[other.id]).toBeUndefined()
      expect(Date.now() - started).toBeLessThan(5_000)
      slow.end(true)
      await Promise.race([Promise.all(flood), new Promise((resolve) => setTimeout(resolve, 1_000))])
    })
  })

  describe('last wills (item 8)', () => {
    async function dropWithWill (will: { topic: string, payload: string, retain: boolean }): Promise<void> {
      const c = await raw()
      c.write(connectPacket({
        clientId: Buffer.from(other.id),
        username: Buffer.from(other.id),
        password: Buffer.from(other.password),
        will: { topic: Buffer.from(will.topic), payload: Buffer.from(will.payload), qos: 1, retain: will.retain }
      }))
      expect(await c.connack()).toBe(0)
      const gone = new Promise((resolve) => p.broker.aedes.once('clientDisconnect', resolve))
      // Dropped without DISCONNECT: the broker publishes the will [MQTT-3.1.2-8].
      c.socket.destroy()
      await gone
      // The will goes through authorizePublish and the sink after the disconnect event.
      await new Promise((resolve) => setTimeout(resolve, 300))
    }

    it('does not deliver or store a will on another sensor\'s topic', async () => {
      const before = sent
      await dropWithWill({ topic: topic(honest, 'json'), payload: JSON.stringify({ fillingLevel: 97, time: startS + 500 }), retain: false })
      const obs = await api(p, 'GET', `/v1/observations?sensor=${honest.id}`, undefined, null)
      expect(obs.body.data).toHaveLength(before)
      await honestStillWorks()
      expect(await storedValues(honest.id)).not.toContain(97)
      expect(await storedValues(other.id)).toEqual([])
    })

    it('does not store a retained will on the sensor\'s own reading topic', async () => {
      await dropWithWill({ topic: topic(other, 'json'), payload: JSON.stringify({ fillingLevel: 98, time: startS + 501 }), retain: true })
      expect(await storedValues(other.id)).toEqual([])
      const obs = await api(p, 'GET', `/v1/observations?sensor=${other.id}`, undefined, null)
      expect(obs.body.data).toEqual([])
      await honestStillWorks()
    })

    it('accepts a retained offline will on the sensor\'s own status topic', async () => {
      await dropWithWill({ topic: topic(other, 'status'), payload: 'offline', retain: true })
      await eventually(async () => p.ingest.presence.get(other.id)?.status === 'offline' ? true : undefined, 3_000)
      await honestStillWorks()
    })
  })
})

/** A client on a raw socket, for bytes MQTT.js will not send. */
class RawClient {
  received = Buffer.alloc(0)
  gone = false
  readonly isClosed: Promise<void>

  private constructor (readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => { this.received = Buffer.concat([this.received, chunk]) })
    socket.on('error', () => {})
    this.isClosed = new Promise((resolve) => socket.once('close', () => {
      this.gone = true
      resolve()
    }))
  }

  static async open (port: number): Promise<RawClient> {
    const socket = connect(port, '127.0.0.1')
    await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject))
    return new RawClient(socket)
  }

  write (bytes: Buffer): void {
    this.socket.write(bytes)
  }

  /** The CONNACK return code, or undefined when the socket closed without one. */
  async connack (timeoutMs = 3_000): Promise<number | undefined> {
    const packet = await this.#packet(0x20, timeoutMs)
    return packet?.[3]
  }

  /** True when CONNACK refused the client or the broker closed without accepting it. */
  async refusedOrClosed (): Promise<boolean> {
    const code = await this.connack()
    if (code === 0) {
      this.socket.destroy()
      return false
    }
    this.socket.destroy()
    return true
  }

  /** The SUBACK's first return code, or undefined when the socket closed without one. */
  async subackOrClosed (timeoutMs = 3_000): Promise<number | undefined> {
    const packet = await this.#packet(0x90, timeoutMs)
    return packet?.[4]
  }

  /** The first received packet of `type` (high nibble), after skipping others. */
  async #packet (type: number, timeoutMs: number): Promise<Buffer | undefined> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      let offset = 0
      while (offset + 2 <= this.received.length) {
        const length = this.received[offset + 1]!
        const packet = this.received.subarray(offset, offset + 2 + length)
        if (packet.length < 2 + length) break
        if ((packet[0]! & 0xf0) === type) return packet
        offset += 2 + length
      }
      if (this.gone) return undefined
      if (Date.now() > deadline) throw new Error(`no packet 0x${type.toString(16)} in time`)
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
  }
}

function str (bytes: Buffer): Buffer {
  const length = Buffer.alloc(2)
  length.writeUInt16BE(bytes.length)
  return Buffer.concat([length, bytes])
}

/** Fixed header with the remaining length as a variable byte integer (section 2.2.3). */
function packet (first: number, body: Buffer): Buffer {
  const length: number[] = []
  let n = body.length
  do {
    let byte = n % 128
    n = Math.floor(n / 128)
    if (n > 0) byte |= 0x80
    length.push(byte)
  } while (n > 0)
  return Buffer.concat([Buffer.from([first, ...length]), body])
}

interface ConnectFields {
  clientId: Buffer
  username?: Buffer
  password?: Buffer
  keepalive?: number
  will?: { topic: Buffer, payload: Buffer, qos: 0 | 1, retain: boolean }
}

/** An MQTT 3.1.1 CONNECT with a clean session (section 3.1). */
function connectPacket (f: ConnectFields): Buffer {
  let flags = 0x02
  if (f.username !== undefined) flags |= 0x80
  if (f.password !== undefined) flags |= 0x40
  if (f.will !== undefined) flags |= 0x04 | (f.will.qos << 3) | (f.will.retain ? 0x20 : 0)
  const keepalive = Buffer.alloc(2)
  keepalive.writeUInt16BE(f.keepalive ?? 60)
  return packet(0x10, Buffer.concat([
    str(Buffer.from('MQTT')), Buffer.from([4, flags]), keepalive,
    str(f.clientId),
    ...(f.will !== undefined ? [str(f.will.topic), str(f.will.payload)] : []),
    ...(f.username !== undefined ? [str(f.username)] : []),
    ...(f.password !== undefined ? [str(f.password)] : [])
  ]))
}

function subscribePacket (id: number, t: Buffer): Buffer {
  const packetId = Buffer.alloc(2)
  packetId.writeUInt16BE(id)
  return packet(0x82, Buffer.concat([packetId, str(t), Buffer.from([0])]))
}

function publishPacket (t: Buffer, payload: string, qos: 0 | 1): Buffer {
  const packetId = Buffer.alloc(2)
  packetId.writeUInt16BE(1)
  return packet(0x30 | (qos << 1), Buffer.concat([str(t), ...(qos > 0 ? [packetId] : []), Buffer.from(payload)]))
}

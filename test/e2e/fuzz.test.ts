import { connect } from 'node:net'
import type { MqttClient } from 'mqtt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { KindDefinition } from '../../core/kind.js'
import { caseRandom, fuzzSeed, int, mutatePayload, pick, readingViolation, validPayloads, type Random } from '../helpers/fuzz.js'
import { api, connectSensor, registerSensor, startTestPlatform, topic, type RegisteredSensor, type TestPlatform } from '../helpers/platform.js'

/**
 * Fuzz over real sockets: mutated SenML/JSON payloads of the three kinds through an
 * authenticated MQTT.js client, and mutated MQTT packets through raw TCP, before and after a
 * valid CONNECT. Throughout, the process answers /healthz, memory stays bounded, an honest
 * sensor publishing in parallel has every QoS 1 message acked and stored, and afterwards every
 * stored value of the fuzz sensors passes its kind's schema.
 *
 * Bounded in cases and in time, so a slow machine runs fewer cases rather than time out.
 * Replay a run with FUZZ_SEED=<seed>; the seed is logged and named in every failure.
 */

/** Seeds that once failed; they run before the random one, and stay. */
const FUZZ_REGRESSIONS: number[] = []
const PAYLOAD_CASES = 1_100
/**
 * Publishes per fuzz sensor: under the kinds' burst of 100 (registry/kinds rateLimit), so the
 * payloads reach ingest instead of the broker's rate limit closing the connection.
 */
const PUBLISHES_PER_SENSOR = 95
const SENSORS_PER_KIND = 4
const RAW_CASES = 1_000
/** Wall-clock budget per seed, ms: payload phase then raw phase. */
const PAYLOAD_BUDGET_MS = 8_000
const RAW_BUDGET_MS = 6_000
/** Raw sockets at once; each uses its own sensor, so they do not take over each other's session. */
const RAW_PARALLEL = 4
const RSS_GROWTH_LIMIT = 200 * 1024 * 1024
const KINDS = ['crowd', 'wastebin', 'snuffelfiets'] as const
const HONEST_PUBLISHES = 90

describe('fuzz over real sockets', () => {
  let p: TestPlatform
  const fuzzSensors = new Map<string, RegisteredSensor[]>()
  const rawSensors: RegisteredSensor[] = []

  beforeAll(async () => {
    p = await startTestPlatform()
    // The crowd zone is made by the first crowd registration, so that one goes alone.
    await registerSensor(p, 'crowd', 'fuzz-crowd-zone')
    for (const kind of KINDS) {
      fuzzSensors.set(kind, await Promise.all(Array.from({ length: SENSORS_PER_KIND }, (_, i) => registerSensor(p, kind, `fuzz-${kind}-${i}`))))
    }
    rawSensors.push(...await Promise.all(Array.from({ length: RAW_PARALLEL }, (_, i) => registerSensor(p, 'wastebin', `fuzz-raw-${i}`))))
  })
  afterAll(async () => {
    await p?.destroy()
  })

  const seed = fuzzSeed()
  for (const runSeed of [...FUZZ_REGRESSIONS, seed]) {
    it(`survives mutated payloads and packets (seed ${runSeed})`, async () => {
      console.info(`e2e fuzz seed ${runSeed}; replay with FUZZ_SEED=${runSeed}`)
      // A fresh honest sensor per seed: its publish budget (burst 100) is its own.
      const honest = await registerSensor(p, 'wastebin', `honest-bin-${runSeed}`)
      const watch = watchPlatform(p)
      const honestRun = publishHonestly(p, honest)
      let payloadCases = 0
      let rawCases = 0
      try {
        payloadCases = await fuzzPayloads(p, fuzzSensors, runSeed)
        rawCases = await fuzzPackets(p, rawSensors, runSeed)
      } finally {
        honestRun.stop()
        watch.stop()
      }
      console.info(`seed ${runSeed}: ${payloadCases} payload cases, ${rawCases} raw packet cases`)
      const { sent, failures } = await honestRun.done
      expect(failures).toEqual([])
      expect(watch.failures).toEqual([])
      expect(watch.rssGrowth).toBeLessThan(RSS_GROWTH_LIMIT)
      expect(payloadCases).toBeGreaterThan(0)
      expect(rawCases).toBeGreaterThan(0)

      // Every acked QoS 1 publish of the honest sensor is durable (the ack waits for the store).
      const stored = await p.store.readings({ sensorIds: [honest.id], from: 0, to: Date.now() + 86_400_000, limit: 100_000 })
      expect(stored.length).toBe(sent.length)
      expect(stored.map((r) => r.time).sort((a, b) => a - b)).toEqual(sent.map((s) => s.time).sort((a, b) => a - b))

      // Whatever of the fuzz got in must be something the kind allows.
      const kinds = new Map<string, KindDefinition>(KINDS.map((id) => [id, p.registry.kinds.get(id)!]))
      const fuzzIds = [...[...fuzzSensors.values()].flat(), ...rawSensors].map((s) => s.id)
      const fuzzStored = await p.store.readings({ sensorIds: fuzzIds, from: -8.64e15, to: 8.64e15, limit: 100_000 })
      const violations = fuzzStored.flatMap((r) => {
        const violation = readingViolation(kinds.get(r.kind)!, r)
        return violation === undefined ? [] : [`${r.sensorId} ${violation}`]
      })
      expect(violations).toEqual([])
      console.info(`seed ${runSeed}: honest sensor ${sent.length} publishes acked and stored; ${fuzzStored.length} fuzz readings stored, all in range`)
      // Some mutants are valid readings; none stored would mean the check above saw nothing.
      expect(fuzzStored.length).toBeGreaterThan(0)
      expect((await api(p, 'GET', '/healthz', undefined, null)).status).toBe(200)
      expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    }, 40_000)
  }
})

/** Polls /healthz and the process's resident memory while the fuzz runs. */
function watchPlatform (p: TestPlatform): { failures: string[], rssGrowth: number, stop: () => void } {
  const baseline = process.memoryUsage().rss
  const state = { failures: [] as string[], rssGrowth: 0, stop: () => {} }
  const timer = setInterval(() => {
    state.rssGrowth = Math.max(state.rssGrowth, process.memoryUsage().rss - baseline)
    fetch(`http://127.0.0.1:${p.httpPort}/healthz`, { signal: AbortSignal.timeout(2_000) })
      .then(async (res) => {
        await res.arrayBuffer()
        if (res.status !== 200) state.failures.push(`/healthz ${res.status}`)
      })
      .catch((err: unknown) => state.failures.push(`/healthz ${String(err)}`))
  }, 250)
  state.stop = () => clearInterval(timer)
  return state
}

/**
 * An honest wastebin publishing QoS 1 in parallel; every publish must be acked in time. At most
 * HONEST_PUBLISHES, paced over the run, to stay inside the kind's burst of 100.
 */
function publishHonestly (p: TestPlatform, sensor: RegisteredSensor): { stop: () => void, done: Promise<{ sent: Array<{ time: number }>, failures: string[] }> } {
  const state = { running: true }
  const done = (async () => {
    const client = await connectSensor(p, sensor)
    const sent: Array<{ time: number }> = []
    const failures: string[] = []
    // Distinct milliseconds, as the store keeps one reading per (sensor, field, time).
    const startS = Math.floor(Date.now() / 1000) - 600
    try {
      for (let i = 0; state.running && i < HONEST_PUBLISHES; i++) {
        const time = startS * 1000 + i
        try {
          await withTimeout(client.publishAsync(topic(sensor, 'json'), JSON.stringify({ fillingLevel: i % 101, time: time / 1000 }), { qos: 1 }), 5_000)
          sent.push({ time })
        } catch (err) {
          failures.push(`honest publish ${i}: ${String(err)}`)
          break
        }
        await sleep(150)
      }
    } finally {
      // Forced: a graceful end waits for in-flight acks, which a failure here may never bring.
      client.end(true)
    }
    return { sent, failures }
  })()
  return { stop: () => { state.running = false }, done }
}

/**
 * Mutated payloads of every kind to its fuzz sensor, QoS 0 and 1. The broker may close a
 * connection (a payload past MQTT_MAX_PACKET_BYTES); the client then connects again.
 */
async function fuzzPayloads (p: TestPlatform, sensors: Map<string, RegisteredSensor[]>, seed: number): Promise<number> {
  const used = new Map<string, number>()
  const clients = new Map<string, { client: MqttClient, gone: Promise<void> }>()
  const client = async (sensor: RegisteredSensor): Promise<{ client: MqttClient, gone: Promise<void> }> => {
    const open = clients.get(sensor.id)
    if (open?.client.connected === true) return open
    open?.client.end(true)
    const fresh = await connectSensor(p, sensor)
    // Closed connections are expected here; an unhandled 'error' would fail the run.
    fresh.on('error', () => {})
    const entry = { client: fresh, gone: new Promise<void>((resolve) => fresh.once('close', () => resolve())) }
    clients.set(sensor.id, entry)
    return entry
  }
  const deadline = Date.now() + PAYLOAD_BUDGET_MS
  let i = 0
  let sent = 0
  try {
    for (; i < PAYLOAD_CASES && Date.now() < deadline; i++) {
      const random = caseRandom(seed, i)
      const kind = pick(random, KINDS)
      const channel = pick(random, ['senml', 'json'] as const)
      const { payload } = mutatePayload(random, Buffer.from(pick(random, validPayloads(kind, Date.now() / 1000)[channel])))
      const qos = random() < 0.5 ? 0 : 1
      const sensor = sensors.get(kind)!.find((s) => (used.get(s.id) ?? 0) < PUBLISHES_PER_SENSOR)
      // This kind's sensors have spent their budget; the other kinds may still have some.
      if (sensor === undefined) continue
      used.set(sensor.id, (used.get(sensor.id) ?? 0) + 1)
      sent++
      const { client: c, gone } = await client(sensor)
      if (qos === 0) {
        c.publish(topic(sensor, channel), payload, { qos })
        // Let QoS 0 traffic drain now and then, so the socket buffer does not grow unbounded.
        if (i % 20 === 0) await sleep(1)
      } else {
        // A closed connection leaves the publish unanswered; the next case reconnects.
        await withTimeout(Promise.race([c.publishAsync(topic(sensor, channel), payload, { qos }), gone]), 2_000).catch(() => c.end(true))
      }
    }
  } finally {
    for (const { client: c } of clients.values()) c.end(true)
  }
  return sent
}

/** Raw MQTT 3.1.1 packets: a fixed header with remaining length (section 2.2.3) and body. */
function packet (type: number, body: Buffer): Buffer {
  const length: number[] = []
  let n = body.length
  do {
    let byte = n % 128
    n = Math.floor(n / 128)
    if (n > 0) byte |= 0x80
    length.push(byte)
  } while (n > 0)
  return Buffer.concat([Buffer.from([type, ...length]), body])
}

function utf8String (text: string | Buffer): Buffer {
  const bytes = typeof text === 'string' ? Buffer.from(text) : text
  const length = Buffer.alloc(2)
  length.writeUInt16BE(bytes.length & 0xffff)
  return Buffer.concat([length, bytes])
}

function connectPacket (sensor: RegisteredSensor): Buffer {
  // Section 3.1.2: protocol name, level 4, flags user name + password + clean session, keep alive 60 s.
  return packet(0x10, Buffer.concat([utf8String('MQTT'), Buffer.from([4, 0xc2, 0, 60]), utf8String(sensor.id), utf8String(sensor.id), utf8String(sensor.password)]))
}

function validPackets (random: Random, sensor: RegisteredSensor): Buffer[] {
  const id = Buffer.from([0, 1 + int(random, 200)])
  const payload = Buffer.from(pick(random, validPayloads('wastebin', Date.now() / 1000).json))
  return [
    connectPacket(sensor),
    packet(0x30, Buffer.concat([utf8String(topic(sensor, 'json')), payload])),
    packet(0x32, Buffer.concat([utf8String(topic(sensor, 'senml')), id, Buffer.from(pick(random, validPayloads('wastebin', Date.now() / 1000).senml))])),
    packet(0x82, Buffer.concat([id, utf8String(topic(sensor, 'errors')), Buffer.from([1])])),
    packet(0xa2, Buffer.concat([id, utf8String(topic(sensor, 'errors'))])),
    packet(0x40, id),
    Buffer.from([0xc0, 0]),
    Buffer.from([0xe0, 0])
  ]
}

function mutatePacket (random: Random, valid: Buffer): Buffer {
  const out = Buffer.from(valid)
  switch (int(random, 7)) {
    case 0:
      for (let n = 1 + int(random, 4); n > 0; n--) {
        const i = int(random, out.length)
        out[i] = (out[i] as number) ^ (1 << int(random, 8))
      }
      return out
    case 1: return out.subarray(0, int(random, out.length))
    case 2: {
      // A remaining length that lies: short, long, past the size limit, or five bytes long.
      const lengths = [[0], [1], [0x7f], [0xff, 0x7f], [0xff, 0xff, 0x7f], [0xff, 0xff, 0xff, 0x7f], [0xff, 0xff, 0xff, 0xff, 0x01], [0x80, 0x80, 0x80, 0x00]]
      let end = 1
      while (end < out.length && ((out[end] as number) & 0x80) !== 0) end++
      return Buffer.concat([out.subarray(0, 1), Buffer.from(pick(random, lengths)), out.subarray(end + 1)])
    }
    case 3: {
      // A string length field (the first after the fixed header) that says more or less than is there.
      const at = out.length > 3 ? 2 : 0
      out.writeUInt16BE(int(random, 0x10000), Math.min(at, Math.max(0, out.length - 2)))
      return out
    }
    case 4: return Buffer.concat([out, Buffer.from(pick(random, [[0xff], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0]]))])
    case 5: return Buffer.concat([out.subarray(0, 1), Buffer.from([0x80, 0x80, 0x04]), Buffer.alloc(int(random, 4) * 16_384, 0x61)])
    default: {
      const bytes = Buffer.alloc(int(random, 64))
      for (let i = 0; i < bytes.length; i++) bytes[i] = int(random, 256)
      return bytes
    }
  }
}

/** One raw socket: maybe a valid CONNECT first, then mutated packets; waits briefly for the close. */
async function rawCase (p: TestPlatform, sensor: RegisteredSensor, random: Random): Promise<void> {
  const afterConnect = random() < 0.6
  const packets = validPackets(random, sensor)
  const sends: Buffer[] = afterConnect ? [connectPacket(sensor)] : []
  for (let n = 1 + int(random, 3); n > 0; n--) sends.push(mutatePacket(random, pick(random, afterConnect ? packets.slice(1) : packets)))
  const socket = connect(p.mqttPort, '127.0.0.1')
  socket.on('error', () => {})
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
  try {
    await Promise.race([new Promise((resolve) => socket.once('connect', resolve)), closed])
    for (const bytes of sends) {
      socket.write(bytes)
      // After CONNECT the broker checks the password (scrypt) before it reads on.
      if (afterConnect && bytes === sends[0]) await Promise.race([new Promise((resolve) => socket.once('data', resolve)), closed, sleep(500)])
    }
    await Promise.race([closed, sleep(50)])
  } finally {
    socket.destroy()
    await closed
  }
}

async function fuzzPackets (p: TestPlatform, sensors: RegisteredSensor[], seed: number): Promise<number> {
  const deadline = Date.now() + RAW_BUDGET_MS
  let next = 0
  const worker = async (sensor: RegisteredSensor): Promise<void> => {
    while (Date.now() < deadline && next < RAW_CASES) {
      // Raw cases number after the payload cases, so the two never share a generator.
      const i = next++
      await rawCase(p, sensor, caseRandom(seed, PAYLOAD_CASES + i))
    }
  }
  await Promise.all(sensors.map(worker))
  return next
}

function sleep (ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

function withTimeout<T> (promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

import { connect as netConnect, type Socket } from 'node:net'
import { BenchConnection, type Meter } from './bench-connection.js'
import { BENCH_KINDS, type BenchKind, type BenchSensor } from './bench-sensors.js'
import { LatencyHistogram } from './latency-histogram.js'
import { connectPacket, FrameReader, PACKET, subscribePacket } from './mqtt-frames.js'

/**
 * The lean load generator: one raw socket per sensor, pre-encoded packets, no MQTT client.
 * Runs in a generator process (generator-worker.ts). The fleet connects once; each scenario is
 * a phase: configure, start (send), mark (start counting), stop (no new sends), drain (wait for
 * what is in flight), stats. Counters other than the window's run for the fleet's whole life.
 */

/** The fleet: who connects where. It stays connected through several phases. */
export interface FleetConfig {
  host: string
  port: number
  topicRoot: string
  sensors: BenchSensor[]
  /** Every bench sensor's secret; undefined sends no credentials. */
  password?: string
  connectConcurrency?: number
  connectTimeoutMs?: number
}

/** How the fleet sends in one scenario. */
export interface PhaseConfig {
  qos: 0 | 1
  /** Messages in flight per connection at most: unacknowledged (QoS 1) or unconfirmed by a probe (QoS 0). */
  window: number
  /** Messages per second from this generator; 0 is as fast as the window allows. */
  rate: number
  /** One extra connection that subscribes to `filter` and counts what it gets. */
  subscriber?: { clientId: string, filter: string }
}

export type ByKind = Record<BenchKind, number>

export interface GeneratorStats {
  connections: number
  connectFailures: number
  /** CONNACK return codes other than 0, by code. */
  refused: Record<string, number>
  /** Connections the broker closed during the run. */
  disconnects: number
  sent: number
  acked: number
  sentReadings: ByKind
  ackedReadings: ByKind
  /** Between mark and stop: messages acknowledged (QoS 1) or confirmed by a probe (QoS 0), and their readings. */
  windowMessages: number
  windowReadings: number
  inflight: number
  latency: { counts: number[], maxUs: number }
  /** Rate mode: sends that found no free window or a full socket and were given up. */
  deferred: number
  subscriberReceived: number
}

const TICK_MS = 5
const BURST = 64

export class LoadGenerator {
  readonly #config: FleetConfig
  #phase: PhaseConfig = { qos: 1, window: 1, rate: 0 }
  readonly #meter: Meter = { measuring: false, latency: new LatencyHistogram() }
  readonly #connections: BenchConnection[] = []
  #connectFailures = 0
  readonly #refused: Record<string, number> = {}
  #running = false
  #ticker: NodeJS.Timeout | undefined
  #deferred = 0
  #subscriber: Socket | undefined
  #subscriberReceived = 0

  constructor (config: FleetConfig) {
    this.#config = config
  }

  /** Opens every connection (a bounded number at a time); resolves when all are answered. */
  async connect (): Promise<{ connected: number, failed: number }> {
    const { host, port, topicRoot, password } = this.#config
    const timeoutMs = this.#config.connectTimeoutMs ?? 30_000
    const { sensors } = this.#config
    let next = 0
    const worker = async (limit = Infinity): Promise<void> => {
      for (let n = 0; n < limit && next < sensors.length; n++) {
        const sensor = sensors[next++]!
        const c = new BenchConnection(sensor, `${topicRoot}/${sensor.kind}/${sensor.id}/${sensor.format}`, this.#meter)
        try {
          const code = await c.connect(host, port, connectPacket(sensor.id, password === undefined ? undefined : sensor.id, password), timeoutMs)
          if (code === 0) this.#connections.push(c)
          else { this.#refused[code] = (this.#refused[code] ?? 0) + 1; c.close() }
        } catch {
          this.#connectFailures++
        }
      }
    }
    // One sensor first: bench sensors share one secret, which the platform then verifies once
    // (scrypt, ~40 ms) and remembers; a hundred first connects at once would each run scrypt.
    await worker(1)
    await Promise.all(Array.from({ length: this.#config.connectConcurrency ?? 100 }, () => worker()))
    return { connected: this.#connections.length, failed: this.#config.sensors.length - this.#connections.length }
  }

  /** Sets up the next phase; call it after `drain`, with nothing in flight. */
  async configure (phase: PhaseConfig): Promise<void> {
    this.#phase = phase
    for (const c of this.#connections) c.configure(phase.qos, phase.window)
    if (phase.subscriber !== undefined && this.#subscriber === undefined) await this.#subscribe(phase.subscriber)
  }

  start (): void {
    this.#running = true
    if (this.#phase.rate > 0) {
      this.#startTicker(this.#phase.rate)
      return
    }
    for (const c of this.#connections) {
      c.onFree = (conn) => this.#pump(conn)
      this.#pump(c)
    }
  }

  mark (): void {
    for (const c of this.#connections) { c.windowMessages = 0; c.windowReadings = 0 }
    this.#meter.latency = new LatencyHistogram()
    this.#meter.measuring = true
  }

  stop (): void {
    this.#meter.measuring = false
    this.#running = false
    clearInterval(this.#ticker)
  }

  /** Waits until nothing is in flight (QoS 1) or a probe confirmed every message (QoS 0). */
  async drain (timeoutMs: number): Promise<{ ms: number, inflight: number }> {
    const started = Date.now()
    while (this.#inflight() > 0 && Date.now() - started < timeoutMs) {
      if (this.#phase.qos === 0) for (const c of this.#connections) c.probe()
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
    return { ms: Date.now() - started, inflight: this.#inflight() }
  }

  stats (): GeneratorStats {
    const zero = (): ByKind => Object.fromEntries(BENCH_KINDS.map((k) => [k, 0])) as ByKind
    const s: GeneratorStats = {
      connections: this.#connections.length,
      connectFailures: this.#connectFailures,
      refused: { ...this.#refused },
      disconnects: 0,
      sent: 0,
      acked: 0,
      sentReadings: zero(),
      ackedReadings: zero(),
      windowMessages: 0,
      windowReadings: 0,
      inflight: this.#inflight(),
      latency: this.#meter.latency.toJSON(),
      deferred: this.#deferred,
      subscriberReceived: this.#subscriberReceived
    }
    for (const c of this.#connections) {
      if (c.closedByPeer) s.disconnects++
      s.sent += c.sent
      s.acked += c.acked
      s.sentReadings[c.sensor.kind] += c.sentReadings
      s.ackedReadings[c.sensor.kind] += c.ackedReadings
      s.windowMessages += c.windowMessages
      s.windowReadings += c.windowReadings
    }
    return s
  }

  close (): void {
    this.stop()
    for (const c of this.#connections) c.close()
    this.#subscriber?.destroy()
  }

  #inflight (): number {
    let n = 0
    for (const c of this.#connections) if (c.open) n += c.inflight
    return n
  }

  /**
   * Full speed: send while the window allows. A full window is refilled from `onFree` (a
   * PUBACK); a full socket (QoS 0) from its 'drain'; a long burst yields to the event loop so
   * that PUBACKs are read meanwhile.
   */
  #pump (c: BenchConnection): void {
    if (!this.#running || !c.canSend()) return
    c.cork()
    const now = Date.now()
    let sent = 0
    let socketFull = false
    while (sent < BURST && !socketFull && c.canSend()) {
      socketFull = !c.send(now)
      sent++
    }
    c.uncork()
    if (socketFull) c.onDrain(() => this.#pump(c))
    else if (sent === BURST) setImmediate(() => this.#pump(c))
  }

  /**
   * Rate mode: every tick, send what the rate owes, one message per connection in turn, so each
   * of N connections sends rate / N messages per second. A debt of more than 200 ms of sends
   * (the broker is behind and every window is full) is given up and counted as deferred.
   */
  #startTicker (rate: number): void {
    const started = Date.now()
    const n = this.#connections.length
    let issued = 0
    let cursor = 0
    const corked: BenchConnection[] = []
    this.#ticker = setInterval(() => {
      if (n === 0) return
      const now = Date.now()
      let due = Math.floor(rate * (now - started) / 1000) - issued
      const cap = Math.max(1, Math.ceil(rate * 0.2))
      if (due > cap) { this.#deferred += due - cap; issued += due - cap; due = cap }
      let idle = 0
      while (due > 0 && idle < n) {
        const c = this.#connections[cursor]!
        cursor = cursor + 1 === n ? 0 : cursor + 1
        if (!c.canSend()) { idle++; continue }
        if (!corked.includes(c) && corked.length < 256) { c.cork(); corked.push(c) }
        c.send(now)
        due--
        issued++
        idle = 0
      }
      for (const c of corked.splice(0)) c.uncork()
    }, TICK_MS)
  }

  async #subscribe ({ clientId, filter }: { clientId: string, filter: string }): Promise<void> {
    const { host, port } = this.#config
    await new Promise<void>((resolve, reject) => {
      const socket = netConnect({ host, port, noDelay: true })
      this.#subscriber = socket
      const timer = setTimeout(() => reject(new Error('subscriber: no SUBACK in 10 s')), 10_000)
      const reader = new FrameReader((type, data, body) => {
        if (type === PACKET.PUBLISH) this.#subscriberReceived++
        else if (type === PACKET.CONNACK && data[body + 1] !== 0) reject(new Error(`subscriber refused: CONNACK ${data[body + 1]}`))
        else if (type === PACKET.CONNACK) socket.write(subscribePacket(filter, 1))
        else if (type === PACKET.SUBACK) {
          clearTimeout(timer)
          if (data[body + 2] === 0x80) reject(new Error(`subscriber: SUBACK refused ${filter}`))
          else resolve()
        }
      })
      socket.on('data', (chunk: Buffer) => reader.push(chunk))
      socket.on('error', (err) => { clearTimeout(timer); reject(err) })
      socket.write(connectPacket(clientId))
    })
  }
}

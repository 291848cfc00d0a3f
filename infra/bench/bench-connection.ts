import { connect as netConnect, type Socket } from 'node:net'
import { performance } from 'node:perf_hooks'
import type { BenchSensor } from './bench-sensors.js'
import type { LatencyHistogram } from './latency-histogram.js'
import { FrameReader, PACKET, publishFrame, type PublishFrame } from './mqtt-frames.js'
import { patchTime, payloadOf } from './payloads.js'

/**
 * One sensor's MQTT connection in the load generator. QoS 1: a window of `window` pre-encoded
 * PUBLISH frames, frame k carrying message id k + 1 for good, so a frame is free again exactly
 * when its PUBACK arrives and no id is ever patched; only the payload time is rewritten before
 * a send (the frame is not in any socket buffer then). PUBACK latency runs from the write to
 * the PUBACK on the monotonic clock (`performance.now`, the clock of process.hrtime).
 *
 * QoS 0: a few frames written in turn, and every `window / 2`-th message a QoS 1 probe. The
 * broker handles a connection's packets in order, so a probe's PUBACK says every message
 * before it was handled; at most `window` messages go unconfirmed. Without that bound a QoS 0
 * flood measures how many megabytes the kernel's socket buffers take, not the broker.
 */
export interface Meter {
  /** True between `mark` and `stop`: acknowledged (QoS 1) or probe-confirmed (QoS 0) messages count for the rate. */
  measuring: boolean
  latency: LatencyHistogram
}

/** Times may run ahead of the clock by at most this (the platform refuses more than INGEST_MAX_FUTURE_S = 300 s). */
const MAX_AHEAD_MS = 240_000
const VARIANTS_QOS0 = 4
const PROBES = 2

export class BenchConnection {
  readonly sensor: BenchSensor
  readonly #topic: string
  readonly #meter: Meter
  qos: 0 | 1 = 1
  #window = 1
  #frames: PublishFrame[] = []
  #sentAt = new Float64Array(0)
  /** 1 while a frame awaits its PUBACK: a stray or repeated PUBACK frees nothing. */
  #busy = new Uint8Array(0)
  #free: number[] = []
  #socket: Socket | undefined
  #nextVariant = 0
  #lastTime = 0
  // QoS 0 probes: frames with ids 1 and 2, and what was sent when each went out.
  #probes: PublishFrame[] = []
  readonly #probeSeq = [0, 0]
  readonly #probeReadings = [0, 0]
  readonly #probeBusy = [false, false]
  #probeEvery = 1
  #confirmed = 0
  #confirmedReadings = 0
  #awaitingDrain = false
  open = false
  closedByPeer = false
  /** Called when a frame came free (full-speed sending refills the window). */
  onFree: ((c: BenchConnection) => void) | undefined
  // Counters for the whole life of the connection; the generator sums them.
  sent = 0
  acked = 0
  sentReadings = 0
  ackedReadings = 0
  windowMessages = 0
  windowReadings = 0

  constructor (sensor: BenchSensor, topic: string, meter: Meter) {
    this.sensor = sensor
    this.#topic = topic
    this.#meter = meter
  }

  /** Builds the frames of a phase; only between phases, with nothing in flight. */
  configure (qos: 0 | 1, window: number): void {
    this.qos = qos
    this.#window = window
    const n = qos === 1 ? window : VARIANTS_QOS0
    this.#frames = Array.from({ length: n }, (_, k) => publishFrame(this.#topic, payloadOf(this.sensor, k, qos === 1), qos, k + 1))
    this.#sentAt = new Float64Array(n)
    this.#busy = new Uint8Array(n)
    this.#free = []
    for (let k = n - 1; k >= 0; k--) this.#free.push(k)
    this.#probes = qos === 0 ? Array.from({ length: PROBES }, (_, k) => publishFrame(this.#topic, payloadOf(this.sensor, k, false), 1, k + 1)) : []
    this.#probeBusy.fill(false)
    this.#probeEvery = Math.max(1, Math.floor(window / PROBES))
    this.#confirmed = this.sent
    this.#confirmedReadings = this.sentReadings
    this.onFree = undefined
  }

  /** QoS 1: messages awaiting PUBACK; QoS 0: messages not yet confirmed by a probe. */
  get inflight (): number {
    return this.qos === 1 ? this.#frames.length - this.#free.length : this.sent - this.#confirmed
  }

  /** Opens the socket and sends CONNECT; resolves with the CONNACK return code. */
  connect (host: string, port: number, connectBytes: Buffer, timeoutMs: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const socket = netConnect({ host, port, noDelay: true })
      this.#socket = socket
      const timer = setTimeout(() => { socket.destroy(); reject(new Error('no CONNACK in time')) }, timeoutMs)
      let connacked = false
      const reader = new FrameReader((type, data, body) => {
        if (type === PACKET.PUBACK) this.#ack(((data[body]! << 8) | data[body + 1]!) - 1)
        else if (type === PACKET.CONNACK && !connacked) {
          connacked = true
          clearTimeout(timer)
          const code = data[body + 1]!
          this.open = code === 0
          resolve(code)
        }
      })
      socket.on('data', (chunk: Buffer) => {
        socket.cork()
        reader.push(chunk)
        process.nextTick(uncork, socket)
      })
      socket.on('error', (err) => { if (!connacked) { clearTimeout(timer); reject(err) } })
      socket.on('close', () => {
        if (this.open) this.closedByPeer = true
        this.open = false
        if (!connacked) { clearTimeout(timer); reject(new Error('closed before CONNACK')) }
      })
      socket.write(connectBytes)
    })
  }

  canSend (): boolean {
    if (!this.open) return false
    return this.qos === 1 ? this.#free.length > 0 : this.sent - this.#confirmed < this.#window && !this.#socket!.writableNeedDrain
  }

  /** Sends one message; the caller checked `canSend`. Returns false when the socket is full (QoS 0). */
  send (nowMs: number): boolean {
    const socket = this.#socket!
    let frame: PublishFrame
    if (this.qos === 1) {
      const slot = this.#free.pop()!
      frame = this.#frames[slot]!
      this.#busy[slot] = 1
      // A device's clock: every message a new millisecond, never far ahead of real time.
      const time = Math.min(Math.max(this.#lastTime + 1, nowMs), nowMs + MAX_AHEAD_MS)
      this.#lastTime = time
      patchTime(frame.bytes, frame.timeOffset, time)
      this.#sentAt[slot] = performance.now()
    } else {
      const probe = (this.sent + 1) % this.#probeEvery === 0 ? this.#probeBusy.indexOf(false) : -1
      frame = probe >= 0 ? this.#probes[probe]! : this.#frames[this.#nextVariant]!
      if (probe < 0) this.#nextVariant = (this.#nextVariant + 1) % this.#frames.length
      else this.#sendingProbe(probe, frame)
    }
    this.sent++
    this.sentReadings += frame.readings
    return socket.write(frame.bytes)
  }

  /** QoS 0: sends a probe now if messages await confirmation and none is on its way. */
  probe (): void {
    if (!this.open || this.sent === this.#confirmed || this.#probeBusy.includes(true)) return
    const frame = this.#probes[0]!
    this.#sendingProbe(0, frame)
    this.sent++
    this.sentReadings += frame.readings
    this.#socket!.write(frame.bytes)
  }

  #sendingProbe (probe: number, frame: PublishFrame): void {
    this.#probeBusy[probe] = true
    // Recorded as they will be once this probe is counted in `send`.
    this.#probeSeq[probe] = this.sent + 1
    this.#probeReadings[probe] = this.sentReadings + frame.readings
  }

  cork (): void { this.#socket?.cork() }
  uncork (): void { this.#socket?.uncork() }

  /** Calls `listener` once the socket takes more; one waiter at a time. */
  onDrain (listener: () => void): void {
    if (this.#socket === undefined || this.#awaitingDrain) return
    this.#awaitingDrain = true
    this.#socket.once('drain', () => {
      this.#awaitingDrain = false
      listener()
    })
  }

  close (): void {
    this.open = false
    this.#socket?.destroy()
  }

  #ack (slot: number): void {
    if (this.qos === 0) {
      if (this.#probeBusy[slot] !== true) return
      this.#probeBusy[slot] = false
      this.acked++
      this.ackedReadings += this.#probes[slot]!.readings
      if (this.#probeSeq[slot]! > this.#confirmed) {
        if (this.#meter.measuring) {
          this.windowMessages += this.#probeSeq[slot]! - this.#confirmed
          this.windowReadings += this.#probeReadings[slot]! - this.#confirmedReadings
        }
        this.#confirmed = this.#probeSeq[slot]!
        this.#confirmedReadings = this.#probeReadings[slot]!
      }
      this.onFree?.(this)
      return
    }
    if (this.#busy[slot] !== 1) return
    this.#busy[slot] = 0
    const frame = this.#frames[slot]!
    this.acked++
    this.ackedReadings += frame.readings
    if (this.#meter.measuring) {
      this.windowMessages++
      this.windowReadings += frame.readings
      this.#meter.latency.record((performance.now() - this.#sentAt[slot]!) * 1000)
    }
    this.#free.push(slot)
    this.onFree?.(this)
  }
}

function uncork (socket: Socket): void { socket.uncork() }

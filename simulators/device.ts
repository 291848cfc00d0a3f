import mqtt, { type MqttClient } from 'mqtt'
import { formatTopic, type Channel } from '../core/topics.js'
import type { Outgoing } from './outgoing.js'
import type { Stats } from './stats.js'

/**
 * One simulated sensor on the wire, as a real device behaves: MQTT 3.1.1 with clientId =
 * username = its sensor id, a retained `online` on its status topic and a retained `offline`
 * as its last will, a subscription to its own `errors` topic. Counts what it sends, what the
 * broker acknowledges and what the platform rejects; never buffers without bound.
 */
export interface DeviceOptions {
  id: string
  kind: string
  password: string
  brokerUrl: string
  topicRoot: string
  qos: 0 | 1
  /** Publishes awaiting their PUBACK (QoS 1) or their socket write (QoS 0); past this, readings are skipped. */
  maxInFlight: number
  stats: Stats
}

export type ConnectFailure = 'unreachable' | 'refused' | 'timeout'

export class DeviceConnectError extends Error {
  readonly failure: ConnectFailure
  readonly deviceId: string

  constructor (failure: ConnectFailure, deviceId: string, message: string) {
    super(message)
    this.name = 'DeviceConnectError'
    this.failure = failure
    this.deviceId = deviceId
  }
}

/** CONNACK return codes of MQTT 3.1.1 section 3.2.2.3. */
const CONNACK_REASONS: Record<number, string> = {
  1: 'unacceptable protocol version',
  2: 'client identifier rejected',
  3: 'server unavailable',
  4: 'bad user name or password',
  5: 'not authorized'
}

const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN'])

/** SUBACK return code for a refused subscription [MQTT-3.9.3]. */
const SUBACK_FAILURE = 128

export class Device {
  readonly id: string
  readonly kind: string
  /** Set when the broker refused the subscription to the errors topic: rejections cannot be counted. */
  errorsTopicDenied = false
  /** The last connection error after the first connect, for the summary. */
  lastError: string | undefined
  readonly #options: DeviceOptions
  readonly #topics: Record<Channel, string>
  #client: MqttClient | undefined
  #inFlight = 0
  #connectedOnce = false
  readonly #waiters = new Set<() => void>()

  constructor (options: DeviceOptions) {
    this.#options = options
    this.id = options.id
    this.kind = options.kind
    const topic = (channel: Channel): string => formatTopic(options.topicRoot, { kind: options.kind, sensorId: options.id, channel })
    this.#topics = { senml: topic('senml'), json: topic('json'), status: topic('status'), errors: topic('errors') }
  }

  get connected (): boolean {
    return this.#client?.connected === true
  }

  get inFlight (): number {
    return this.#inFlight
  }

  /** Connects and subscribes; rejects with a DeviceConnectError saying why the first connect failed. */
  async connect (timeoutMs = 15_000): Promise<void> {
    const { id, password, brokerUrl } = this.#options
    const client = mqtt.connect(brokerUrl, {
      clientId: id,
      username: id,
      password,
      protocolVersion: 4,
      clean: true,
      keepalive: 30,
      connectTimeout: 10_000,
      reconnectPeriod: 2_000,
      // Bounded memory: QoS 0 readings are not queued while offline; we skip them instead.
      queueQoSZero: false,
      will: { topic: this.#topics.status, payload: 'offline', qos: 1, retain: true }
    })
    this.#client = client
    client.on('error', (err) => {
      if (!this.#connectedOnce) return
      this.#options.stats.connectionErrors++
      this.lastError = describeError(err)
    })
    client.on('connect', () => {
      this.#connectedOnce = true
      client.publish(this.#topics.status, 'online', { qos: 1, retain: true })
      this.#wake()
    })
    client.on('close', () => { this.#wake() })
    client.on('message', (topic, payload) => {
      if (topic === this.#topics.errors) this.#options.stats.reject(rejectionCode(payload))
    })
    try {
      await firstConnect(client, id, timeoutMs)
      const granted = await client.subscribeAsync(this.#topics.errors, { qos: 1 })
      this.errorsTopicDenied = granted.some((g) => g.qos === SUBACK_FAILURE)
    } catch (err) {
      client.end(true)
      throw err
    }
  }

  /** Publishes a reading; false (and counted as skipped) when offline or the in-flight window is full. */
  publish (out: Outgoing, expectedRejection?: string): boolean {
    const { stats, qos } = this.#options
    const client = this.#client
    if (client === undefined || !client.connected || this.#inFlight >= this.#options.maxInFlight) {
      stats.skipped++
      return false
    }
    const started = performance.now()
    this.#inFlight++
    stats.countSent(this.kind)
    if (expectedRejection !== undefined) stats.sentBad(expectedRejection)
    client.publish(this.#topics[out.channel], out.body, { qos }, (err) => {
      this.#inFlight--
      if (err) stats.failed++
      else if (qos === 1) {
        stats.acked++
        stats.recordLatency(performance.now() - started)
      }
      this.#wake()
    })
    return true
  }

  /** Resolves once a publish would not be skipped, or when `signal` aborts. */
  ready (signal: AbortSignal): Promise<void> {
    return this.#until(() => this.connected && this.#inFlight < this.#options.maxInFlight, signal)
  }

  /** Waits, at most `timeoutMs`, for every publish in flight to complete; not at all while offline, where none can. */
  async drain (timeoutMs: number): Promise<void> {
    await this.#until(() => this.#inFlight === 0 || !this.connected, AbortSignal.timeout(timeoutMs))
  }

  /** Announces `offline` (retained), disconnects cleanly, and forces the socket shut if the broker does not answer. */
  async close (timeoutMs = 3_000): Promise<void> {
    const client = this.#client
    if (client === undefined) return
    await this.drain(timeoutMs)
    let clean = this.#inFlight === 0
    if (client.connected) {
      clean = await withTimeout(client.publishAsync(this.#topics.status, 'offline', { qos: 1, retain: true }), 2_000) && clean
    }
    await withTimeout(client.endAsync(!clean), 2_000)
  }

  #until (condition: () => boolean, signal: AbortSignal): Promise<void> {
    if (condition() || signal.aborted) return Promise.resolve()
    return new Promise((resolve) => {
      const check = (): void => {
        if (!condition() && !signal.aborted) return
        this.#waiters.delete(check)
        signal.removeEventListener('abort', check)
        resolve()
      }
      this.#waiters.add(check)
      signal.addEventListener('abort', check, { once: true })
    })
  }

  #wake (): void {
    for (const waiter of [...this.#waiters]) waiter()
  }
}

function firstConnect (client: MqttClient, id: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const finish = (err?: DeviceConnectError): void => {
      clearTimeout(timer)
      client.off('connect', onConnect)
      client.off('error', onError)
      if (err === undefined) resolve()
      else reject(err)
    }
    const onConnect = (): void => finish()
    const onError = (err: Error & { code?: unknown }): void => {
      if (typeof err.code === 'number') {
        finish(new DeviceConnectError('refused', id, `broker refused sensor ${id}: ${CONNACK_REASONS[err.code] ?? err.message}`))
      } else if (typeof err.code === 'string' && UNREACHABLE_CODES.has(err.code)) {
        finish(new DeviceConnectError('unreachable', id, `cannot reach the MQTT broker (${err.code})`))
      }
      // Anything else (a reset, a connack timeout): MQTT.js retries until our timer fires.
    }
    const timer = setTimeout(() => finish(new DeviceConnectError('timeout', id, `no CONNACK for sensor ${id} within ${timeoutMs / 1000} s`)), timeoutMs)
    client.once('connect', onConnect)
    client.on('error', onError)
  })
}

/** The `code` of an errors-topic message (`{code, message, field?, receivedAt}`). */
function rejectionCode (payload: Buffer): string {
  try {
    const parsed: unknown = JSON.parse(payload.toString('utf8'))
    if (typeof parsed === 'object' && parsed !== null && 'code' in parsed && typeof parsed.code === 'string') return parsed.code
  } catch {}
  return 'UNREADABLE_ERROR_MESSAGE'
}

function describeError (err: Error & { code?: unknown }): string {
  return typeof err.code === 'number' && CONNACK_REASONS[err.code] !== undefined ? `refused: ${CONNACK_REASONS[err.code]}` : err.message
}

/** True when `promise` settles fulfilled within `ms`. */
async function withTimeout (promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(false), ms) })
  try {
    return await Promise.race([promise.then(() => true, () => false), timeout])
  } finally {
    clearTimeout(timer)
  }
}

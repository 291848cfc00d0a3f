import type { MqttClient } from 'mqtt'

/**
 * At most 20 unacknowledged, which bounds what is resent after a restart: the wastebin kind
 * lets one sensor publish a burst of 100 messages per process (its rate limit,
 * registry/kinds/wastebin.json), and 20 resent plus 50 a second for 1.5 s stays below it.
 */
const SEND_EVERY_MS = 20
const MAX_IN_FLIGHT = 20

/**
 * A waste bin sending reading i with time t0 + i ms (each reading its own key) over QoS 1,
 * keeping at most MAX_IN_FLIGHT unacknowledged, for tests that kill processes under it
 * (crash recovery, cluster failover). MQTT.js keeps unacknowledged QoS 1 messages and resends
 * them on every reconnect; with clean: false their callbacks survive a lost connection, so
 * `acked` holds exactly the PUBACKs received, with their time; `connects` every CONNACK, with its session-present flag.
 */
export class NumberedStream {
  readonly t0 = Date.now() - 60_000
  readonly acked = new Map<number, number>()
  readonly connects: Array<{ at: number, sessionPresent: boolean }> = []
  retried = 0
  sent = 0
  #timer: NodeJS.Timeout | undefined

  /** `home`: a label of the test's own, such as the broker the stream first connected to. */
  constructor (readonly id: string, readonly client: MqttClient, readonly home = '', readonly root = 'utrecht/v1') {
    client.on('connect', (packet) => this.connects.push({ at: Date.now(), sessionPresent: packet.sessionPresent }))
    this.connects.push({ at: Date.now(), sessionPresent: false })
  }

  start (): void {
    this.#timer = setInterval(() => {
      if (this.sent - this.acked.size < MAX_IN_FLIGHT) this.#publish(this.sent++)
    }, SEND_EVERY_MS)
  }

  stop (): void {
    clearInterval(this.#timer)
  }

  firstAckAfter (t: number): number {
    return Math.min(...[...this.acked.values()].filter((at) => at > t))
  }

  ackedAfter (t: number): number {
    return [...this.acked.values()].filter((at) => at > t).length
  }

  #publish (i: number): void {
    const payload = JSON.stringify({ fillingLevel: i % 100, time: new Date(this.t0 + i).toISOString() })
    this.client.publish(`${this.root}/wastebin/${this.id}/json`, payload, { qos: 1 }, (err) => {
      if (err === undefined || err === null) {
        this.acked.set(i, Date.now())
      } else {
        // MQTT.js fails queued publishes with 'Connection closed' when the link drops again
        // before its replay ends; a sensor sends them again (see crash-recovery.test.ts).
        this.retried++
        setTimeout(() => this.#publish(i), 100)
      }
    })
  }

  async settled (timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs
    while (this.acked.size < this.sent) {
      if (Date.now() > deadline) throw new Error(`${this.id}: ${this.sent - this.acked.size} of ${this.sent} readings never acknowledged`)
      await sleep(25)
    }
  }
}

function sleep (ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

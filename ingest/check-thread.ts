import { Worker } from 'node:worker_threads'
import { SensorstadError } from '../core/errors.js'
import type { KindDefinition } from '../core/kind.js'
import type { Reading } from '../core/reading.js'
import type { CheckBatch, CheckResults, CheckWorkerData } from './check-protocol.js'
import { MessageChecker, type MessageToCheck } from './message-check.js'

const BOOT = new URL('./check-worker-boot.mjs', import.meta.url)
/**
 * At most this many messages of one turn are checked on the caller's thread when none are
 * in flight: handing a batch over costs about 25 us of the caller's time, checking a message
 * 10 to 15, so at a city's rate (a message or two per turn) the thread would cost the
 * broker's thread more than it saves. Measured with `npm run bench` (city-1000, qos1-c1000).
 */
const INLINE_MAX = 2

interface Request {
  message: MessageToCheck
  resolve: (readings: Reading[]) => void
  reject: (err: Error) => void
}

/**
 * Checks sensor messages (MessageChecker: identifier scan, decode, validation) on a thread of
 * their own, so the broker's thread keeps to MQTT, the store and the acknowledgements, and the
 * process uses a second core. The messages of one turn of the event loop go over as one batch
 * (payloads in one transferred buffer), and their readings come back packed in typed arrays;
 * a turn of one or two messages with none in flight is checked on the caller's thread.
 *
 * One thread and first in, first out, so messages reach the group commit in the order the
 * broker handed them in: a sensor's later write of a key stays the later write. If the thread
 * dies, the messages it held are rejected (the broker then withholds their PUBACKs and closes
 * the connection, so the sensors send them again) and the next message starts a new thread.
 */
export class CheckThread {
  readonly #data: CheckWorkerData
  readonly #fields: Map<string, string[]>
  #worker: Worker | undefined
  #next: Request[] = []
  readonly #inFlight: Request[][] = []
  #scheduled = false
  #closed = false

  readonly #boot: URL
  readonly #onError: (err: Error) => void
  readonly #inline: MessageChecker

  /**
   * `onError` hears of a thread that died (once per thread; the messages it held are
   * rejected each on its own). `boot`: the thread's entry (tests hand in their own).
   */
  constructor (kinds: Iterable<KindDefinition>, maxFutureS: number, options: { onError?: (err: Error) => void, boot?: URL } = {}) {
    const list = [...kinds]
    this.#inline = new MessageChecker(list, maxFutureS)
    this.#data = { kinds: list, maxFutureS }
    this.#fields = new Map(list.map((k) => [k.id, Object.keys(k.fields)]))
    this.#boot = options.boot ?? BOOT
    this.#onError = options.onError ?? (() => {})
  }

  /**
   * Starts the thread and waits until it can take messages, so a thread that cannot start
   * stops the boot instead of failing every message.
   */
  async start (): Promise<void> {
    const worker = this.#thread()
    await new Promise<void>((resolve, reject) => {
      const ready = (message: unknown): void => {
        if (message !== 'ready') return
        worker.off('message', ready)
        worker.off('exit', exited)
        resolve()
      }
      const exited = (code: number): void => reject(new Error(`the ingest check thread exited with code ${code} while starting`))
      worker.on('message', ready)
      worker.once('exit', exited)
    })
  }

  /** The message's readings; rejects with SensorstadError with the reason it is refused. */
  check (message: MessageToCheck): Promise<Reading[]> {
    if (this.#closed) return Promise.reject(new Error('ingest is closing'))
    return new Promise((resolve, reject) => {
      this.#next.push({ message, resolve, reject })
      if (this.#scheduled) return
      this.#scheduled = true
      setImmediate(() => this.#send())
    })
  }

  /** Waits for the messages in flight, then ends the thread. */
  async close (): Promise<void> {
    this.#closed = true
    while (this.#inFlight.length > 0 || this.#next.length > 0) await new Promise((resolve) => setImmediate(resolve))
    // Forgotten first, so its exit is not taken for a failure.
    const worker = this.#worker
    this.#worker = undefined
    await worker?.terminate()
  }

  #send (): void {
    this.#scheduled = false
    const requests = this.#next
    this.#next = []
    if (requests.length === 0) return
    // With nothing in flight, a message checked here cannot overtake one on the thread.
    if (requests.length <= INLINE_MAX && this.#inFlight.length === 0) {
      for (const r of requests) {
        try {
          r.resolve(this.#inline.check(r.message))
        } catch (err) {
          r.reject(err instanceof Error ? err : new Error(String(err)))
        }
      }
      return
    }
    let total = 0
    for (const r of requests) total += r.message.payload.length
    // Not from the shared pool: the buffer is handed over whole.
    const payloads = Buffer.allocUnsafeSlow(total)
    const ends = new Int32Array(requests.length)
    const now = new Float64Array(requests.length)
    const sensorIds: string[] = []
    const kinds: string[] = []
    const channels: string[] = []
    let at = 0
    requests.forEach((r, i) => {
      at += r.message.payload.copy(payloads, at)
      ends[i] = at
      now[i] = r.message.now
      sensorIds.push(r.message.sensorId)
      kinds.push(r.message.kind)
      channels.push(r.message.channel)
    })
    const batch: CheckBatch = { payloads: payloads.buffer, ends, now, sensorIds, kinds, channels }
    this.#inFlight.push(requests)
    this.#thread().postMessage(batch, [payloads.buffer, ends.buffer, now.buffer])
  }

  #thread (): Worker {
    if (this.#worker !== undefined) return this.#worker
    const worker = new Worker(this.#boot, { workerData: this.#data })
    worker.on('message', (results: CheckResults | 'ready') => {
      // Held open until it can take messages (a process starting has nothing else to wait
      // for yet); then the broker's sockets, not this thread, keep the process alive.
      if (results === 'ready') worker.unref()
      else this.#settle(results)
    })
    const fail = (why: string): void => {
      if (this.#worker !== worker) return
      this.#worker = undefined
      const err = new Error(`the ingest check thread ${why}`)
      let held = 0
      for (const requests of this.#inFlight.splice(0)) {
        held += requests.length
        for (const r of requests) r.reject(err)
      }
      this.#onError(new Error(`${err.message}; ${held} messages it held go unacknowledged, for their sensors to send again`))
    }
    worker.on('error', (err) => fail(`failed: ${err.message}`))
    worker.on('exit', (code) => fail(`exited with code ${code}`))
    this.#worker = worker
    return worker
  }

  #settle (results: CheckResults): void {
    const requests = this.#inFlight.shift()
    if (requests === undefined) return
    const errors = new Map(results.errors.map((e) => [e.i, e]))
    let j = 0
    requests.forEach((r, i) => {
      const count = results.counts[i]!
      if (count < 0) {
        const e = errors.get(i)!
        r.reject('internal' in e ? new Error(e.internal) : new SensorstadError(e.code, e.message, e.field))
        return
      }
      const { sensorId, kind } = r.message
      const names = this.#fields.get(kind)!
      const readings: Reading[] = new Array(count)
      for (let k = 0; k < count; k++, j++) {
        readings[k] = { sensorId, kind, field: names[results.fields[j]!]!, time: results.times[j]!, value: results.values[j]! }
      }
      r.resolve(readings)
    })
  }
}

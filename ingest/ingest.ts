import { isSensorstadError, SensorstadError, type ErrorCode } from '../core/errors.js'
import type { KindDefinition } from '../core/kind.js'
import type { MessageSink, SensorMessage } from '../core/ports/message-sink.js'
import type { GridStore } from '../core/ports/grid-store.js'
import type { TimeSeriesStore } from '../core/ports/time-series-store.js'
import type { Reading } from '../core/reading.js'
import type { Zone } from '../core/sensor.js'
import { formatTopic } from '../core/topics.js'
import { CheckThread } from './check-thread.js'
import { GroupCommit } from './group-commit.js'
import type { IngestMetrics } from './metrics.js'
import { checkCounts } from './privacy/crowd-counts.js'
import { MessageChecker, type MessageToCheck } from './message-check.js'
import { Pseudonymizer } from './privacy/pseudonym.js'
import { RideStage } from './rides.js'

/**
 * The ingest pipeline: identifier scan -> decode (senml | json) -> validate against the kind
 * (MessageChecker, on the check thread when there is one) -> crowd counts against the zone ->
 * group commit to the store, or the ride stage for mobile kinds. A message is accepted or
 * rejected whole. A rejected message is dropped, its
 * sensor is told why on its `errors` topic, and a counter goes up; its payload is never
 * stored or logged (it may be the personal data we refuse, DESIGN.md section 5).
 */
export interface IngestDeps {
  kinds: ReadonlyMap<string, KindDefinition>
  store: TimeSeriesStore
  /** Where rides of mobile kinds go, as cell contributions; required when a kind has ride rules. */
  grid?: GridStore
  /** Random source for ride trimming; tests fix it. */
  random?: () => number
  /** The register's zones, for crowd capacity and active periods. */
  zoneOf: (zoneId: string) => Zone | undefined
  topicRoot: string
  /** Sends a platform message to a sensor (the broker's publish). */
  notify: (topic: string, payload: string) => Promise<void>
  metrics?: IngestMetrics
  now?: () => number
  batchMax: number
  flushMs: number
  maxPending: number
  maxReadingsPerMessage: number
  maxFutureS: number
  /**
   * Check messages (scan, decode, validate) on a thread of their own (check-thread.ts), so
   * the process uses a second core; otherwise on the caller's.
   */
  checkThread?: boolean
  /** The check thread died (a new one starts with the next message). */
  onCheckThreadError?: (err: Error) => void
  onWriteError?: (err: unknown, attempt: number) => void
  /** Readings once they are durably stored (the alert engine follows crowd counts here). */
  onStored?: (readings: readonly Reading[]) => void
}

/** What a sensor receives on `{root}/{kind}/{id}/errors` (DESIGN.md section 3). */
export interface RejectionNotice {
  code: ErrorCode
  message: string
  field?: string
  receivedAt: string
}

export type SensorPresence = 'online' | 'offline'

export class Ingest implements MessageSink {
  readonly #deps: IngestDeps
  /** Scan, decode, validate (message-check.ts): on this thread, or on the check thread. */
  readonly #check: (message: MessageToCheck) => Reading[] | Promise<Reading[]>
  readonly #thread: CheckThread | undefined
  readonly #commit: GroupCommit
  readonly #now: () => number
  readonly #rides = new Map<string, RideStage>()
  /** Last status each sensor sent (its retained `status` topic, or its will). */
  readonly presence = new Map<string, { status: SensorPresence, at: number }>()

  constructor (deps: IngestDeps) {
    this.#deps = deps
    this.#now = deps.now ?? Date.now
    // Either compiles every kind: one that does not stops the boot.
    if (deps.checkThread === true) {
      const thread = new CheckThread(deps.kinds.values(), deps.maxFutureS, { onError: deps.onCheckThreadError })
      this.#thread = thread
      this.#check = (message) => thread.check(message)
    } else {
      const checker = new MessageChecker(deps.kinds.values(), deps.maxFutureS)
      this.#check = (message) => checker.check(message)
    }
    const pseudonyms = new Pseudonymizer({ now: this.#now })
    for (const kind of deps.kinds.values()) {
      if (kind.privacy.rides === undefined) continue
      if (deps.grid === undefined) throw new Error(`kind ${kind.id} has ride rules but ingest has no grid store`)
      this.#rides.set(kind.id, new RideStage({
        kind,
        grid: deps.grid,
        pseudonyms,
        random: deps.random,
        onDropped: (rule, n) => deps.metrics?.privacyDropped(kind.id, rule, n),
        onWriteError: (err) => deps.onWriteError?.(err, 1)
      }))
    }
    this.#commit = new GroupCommit({
      write: (readings) => deps.store.writeReadings(readings),
      batchMax: deps.batchMax,
      flushMs: deps.flushMs,
      maxPending: deps.maxPending,
      onWriteError: deps.onWriteError,
      isPermanent: (err) => isSensorstadError(err) && err.code === 'STORE_ERR_REJECTED'
    })
  }

  /** Starts the check thread, if ingest has one; rejects if it cannot start. */
  async start (): Promise<void> {
    await this.#thread?.start()
  }

  /** Readings waiting for the store. */
  get pending (): number {
    return this.#commit.pending
  }

  /** False while writes to the store are failing. */
  get healthy (): boolean {
    return !this.#commit.failing
  }

  async accept (message: SensorMessage): Promise<void> {
    const { sensor } = message
    let readings
    try {
      if (message.channel === 'status') return this.#status(message)
      const check = { sensorId: sensor.id, kind: sensor.kind, channel: message.channel, payload: message.payload, now: this.#now() }
      readings = await this.#check(check)
      const counts = this.#deps.kinds.get(sensor.kind)?.privacy.counts
      if (counts !== undefined) checkCounts(readings, sensor.zoneId === undefined ? undefined : this.#deps.zoneOf(sensor.zoneId), counts)
      if (readings.length > this.#deps.maxReadingsPerMessage) {
        throw new SensorstadError('INGEST_ERR_TOO_MANY', `At most ${this.#deps.maxReadingsPerMessage} readings per message; split the pack`)
      }
    } catch (err) {
      if (!isSensorstadError(err)) throw err
      return this.#reject(message, err)
    }
    const rides = this.#rides.get(sensor.kind)
    if (rides !== undefined) {
      await rides.push(readings)
    } else {
      await this.#commit.add(readings)
      this.#deps.onStored?.(readings)
    }
    this.#deps.metrics?.accepted(sensor.id, sensor.kind, readings.length)
  }

  /** Closes rides that have gone quiet (the platform calls this every few seconds). */
  async sweep (): Promise<void> {
    const now = this.#now()
    for (const rides of this.#rides.values()) await rides.sweep(now)
  }

  /** Fixes held in open rides, per kind. */
  get openRideFixes (): number {
    let n = 0
    for (const rides of this.#rides.values()) n += rides.bufferedFixes
    return n
  }

  /** Shutdown has begun: write each message as it comes, without the group-commit linger. */
  hurry (): void {
    this.#commit.hurry()
  }

  /** Writes what is queued and closes open rides; new messages are refused. */
  async close (): Promise<void> {
    await this.#thread?.close()
    await this.#commit.close()
    for (const rides of this.#rides.values()) await rides.close()
  }

  async #status (message: SensorMessage): Promise<void> {
    const text = message.payload.toString('utf8')
    if (text !== 'online' && text !== 'offline') {
      return this.#reject(message, new SensorstadError('INGEST_ERR_STATUS'))
    }
    this.presence.set(message.sensor.id, { status: text, at: message.receivedAt })
  }

  async #reject (message: SensorMessage, err: SensorstadError): Promise<void> {
    const { sensor } = message
    this.#deps.metrics?.rejected(sensor.id, sensor.kind, err.code)
    const notice: RejectionNotice = {
      code: err.code,
      message: err.message,
      ...(err.field !== undefined ? { field: err.field } : {}),
      receivedAt: new Date(message.receivedAt).toISOString()
    }
    const topic = formatTopic(this.#deps.topicRoot, { kind: sensor.kind, sensorId: sensor.id, channel: 'errors' })
    // Telling the sensor is best effort: the rejection is already counted, and a sensor
    // that is not subscribed simply does not hear it.
    await this.#deps.notify(topic, JSON.stringify(notice)).catch(() => {})
  }
}

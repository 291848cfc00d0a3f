import { setMaxListeners } from 'node:events'
import type { Device } from './device.js'
import { badMessage } from './misbehave.js'
import type { DeviceContext, SimulatedKind } from './models.js'
import type { Mode } from './options.js'
import type { Outgoing } from './outgoing.js'
import { unitHash } from './random.js'
import type { Stats } from './stats.js'

/**
 * Drives the connected devices. In normal and misbehave mode each device reports on its own
 * timer, and model time runs `speed` times the wall clock. In load mode each device sends as
 * fast as its in-flight window allows, stepping model time one reading interval per message.
 * Timestamps are always the wall clock (the platform refuses readings from the future), unique
 * per device to the millisecond.
 */
export interface FleetMember {
  device: Device
  model: SimulatedKind
  context: DeviceContext
}

export interface FleetOptions {
  mode: Mode
  /** Readings per second per device in model time; undefined: each kind's default. */
  rate: number | undefined
  speed: number
  modelStartMs: number
  max: number
  stats: Stats
  /** Called once, when `max` messages have been sent. */
  onMax: () => void
}

/** Misbehave mode: one bad message after this many readings of a device. */
const READINGS_PER_BAD = 3
/** A device reports soon after it boots, however long its interval: its first reading comes within this. */
const FIRST_READING_WITHIN_MS = 10_000
/** Longest delay setTimeout takes (2^31 - 1 ms); longer waits are chained. */
const MAX_TIMEOUT_MS = 2_147_483_647
/** Consecutive parked readings (a bike between rides) skipped in load mode before yielding. */
const MAX_SILENT_STEPS = 10_000

interface Running extends FleetMember {
  lastStampMs: number
  ticks: number
}

export class Fleet {
  readonly #members: Running[]
  readonly #options: FleetOptions
  readonly #abort = new AbortController()
  readonly #timers = new Set<NodeJS.Timeout>()
  readonly #loops: Array<Promise<void>> = []
  #wallStartMs = 0
  #maxReported = false

  constructor (members: readonly FleetMember[], options: FleetOptions) {
    this.#members = members.map((m) => ({ ...m, lastStampMs: 0, ticks: 0 }))
    this.#options = options
    // Every device waiting for its window listens on the one stop signal.
    setMaxListeners(0, this.#abort.signal)
  }

  get size (): number {
    return this.#members.length
  }

  get connected (): number {
    return this.#members.filter((m) => m.device.connected).length
  }

  get inFlight (): number {
    return this.#members.reduce((sum, m) => sum + m.device.inFlight, 0)
  }

  /** Model time now (normal and misbehave mode; in load mode each device steps its own). */
  modelTime (wallMs = Date.now()): number {
    return this.#options.modelStartMs + (wallMs - this.#wallStartMs) * this.#options.speed
  }

  start (): void {
    this.#wallStartMs = Date.now()
    for (const member of this.#members) {
      if (this.#options.mode === 'load') this.#loops.push(this.#load(member))
      else this.#schedule(member)
    }
  }

  /** Stops sending; resolves when no loop will publish again. */
  async stop (): Promise<void> {
    this.#abort.abort()
    for (const timer of this.#timers) clearTimeout(timer)
    this.#timers.clear()
    await Promise.all(this.#loops)
  }

  #rate (member: Running): number {
    return this.#options.rate ?? member.model.defaultRate
  }

  #schedule (member: Running): void {
    const intervalMs = 1000 / (this.#rate(member) * this.#options.speed)
    const phaseMs = unitHash(member.context.seed, 0x7a5e) * Math.min(intervalMs, FIRST_READING_WITHIN_MS)
    let k = 0
    const at = (): number => this.#wallStartMs + phaseMs + k * intervalMs
    const wait = (): void => {
      const delay = at() - Date.now()
      const timer = setTimeout(() => {
        this.#timers.delete(timer)
        if (this.#abort.signal.aborted) return
        if (Date.now() < at()) return wait()
        this.#tick(member)
        // Behind schedule (a busy event loop): skip the missed readings rather than burst.
        k = Math.max(k + 1, Math.ceil((Date.now() - this.#wallStartMs - phaseMs) / intervalMs))
        wait()
      }, Math.min(MAX_TIMEOUT_MS, Math.max(0, delay)))
      this.#timers.add(timer)
    }
    wait()
  }

  #tick (member: Running): void {
    if (this.#reachedMax()) return
    const now = Date.now()
    const timeMs = this.#stamp(member, now)
    const reading = member.model.message(member.context, this.modelTime(now), timeMs)
    if (reading !== null) member.device.publish(reading)
    member.ticks++
    if (this.#options.mode === 'misbehave' && member.ticks % READINGS_PER_BAD === 0 && !this.#reachedMax()) {
      // Devices start at different recipes, so a small fleet soon shows every kind of rejection.
      const bad = badMessage(member.model.sample, member.context.sensorId, member.ticks / READINGS_PER_BAD + member.context.index, timeMs)
      member.device.publish(bad, bad.expected)
    }
  }

  async #load (member: Running): Promise<void> {
    const signal = this.#abort.signal
    const stepMs = 1000 / this.#rate(member)
    let modelMs = this.#options.modelStartMs + unitHash(member.context.seed, 0x7a5e) * stepMs
    while (!signal.aborted) {
      await member.device.ready(signal)
      if (signal.aborted || this.#reachedMax()) return
      const timeMs = this.#stamp(member, Date.now())
      // One device past 1,000 readings a second would run its clock ahead: hold it back.
      const ahead = timeMs - Date.now()
      if (ahead > 1000) {
        await sleep(ahead - 1000)
        if (signal.aborted || this.#reachedMax()) return
      }
      let reading: Outgoing | null = null
      for (let i = 0; reading === null && i < MAX_SILENT_STEPS; i++) {
        modelMs += stepMs
        reading = member.model.message(member.context, modelMs, timeMs)
      }
      if (reading === null) {
        await sleep(0)
        continue
      }
      member.device.publish(reading)
    }
  }

  #stamp (member: Running, now: number): number {
    member.lastStampMs = Math.max(now, member.lastStampMs + 1)
    return member.lastStampMs
  }

  #reachedMax (): boolean {
    if (this.#options.stats.sent < this.#options.max) return false
    if (!this.#maxReported) {
      this.#maxReported = true
      this.#options.onMax()
    }
    return true
  }
}

function sleep (ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

import { EventEmitter } from 'node:events'
import { DEFAULT_THRESHOLDS, type AlertEvent, type AlertLevel, type ZoneAlertState } from '../../core/alerts.js'
import type { AlertStore } from '../../core/ports/alert-store.js'
import type { Reading } from '../../core/reading.js'
import type { Sensor, Zone } from '../../core/sensor.js'
import { silentSensors } from './silent-sensors.js'
import { trendOf } from './trend.js'
import { ZoneAlertMachine } from './zone-alert-machine.js'

/**
 * Crowd alerts for enforcement (issue #5): the exact, real-time people count of every zone
 * (the sum of the latest count of each of its monitors that still reports), its density per
 * walkable m2, a level with hysteresis and a minimum duration, and "no signal" for monitors
 * gone quiet. Every change is stored as an event and pushed to subscribers (the SSE stream).
 *
 * Ingest calls `observe` with crowd readings once they are stored; the platform calls
 * `tick` every few seconds. The engine keeps its state in memory, so one process at a time
 * runs it (the jobs leader, issue #9); a process that takes over, or starts again, calls
 * `resume` with what the stores hold, and levels go on from there.
 */
export interface AlertEngineDeps {
  zones: () => readonly Zone[]
  /** Active crowd monitors of a zone. */
  monitorsOf: (zoneId: string) => readonly Sensor[]
  store: AlertStore
  /** The counts field of the crowd kind. */
  countField: string
  /** How often a healthy monitor reports (the kind's expectedIntervalS), ms. */
  expectedIntervalMs: number
  hysteresis: number
  minDurationMs: number
}

/**
 * What subscribers hear: a new alert event, or the zone states when they changed. An event
 * carried again with `ack` set is its acknowledgement (the API's feed passes those on; the
 * engine itself only emits new events, whose `ack` is null).
 */
export type AlertFeedItem = { type: 'alert', event: AlertEvent } | { type: 'zones', zones: ZoneAlertState[] }

/** A zone's level and silent monitors as its stored events last said. */
interface ResumedZone {
  level: AlertLevel
  since: number
  silent: Set<string>
}

interface ZoneTrack {
  machine: ZoneAlertMachine
  areaM2: number
  thresholdsKey: string
  silent: Set<string>
  samples: Array<{ time: number, count: number }>
  count: number
}

const SEVERITY: Record<AlertLevel, number> = { normal: 0, busy: 1, crowded: 2, critical: 3 }

export class AlertEngine {
  readonly #deps: AlertEngineDeps
  readonly #feed = new EventEmitter<{ item: [AlertFeedItem] }>()
  /** Latest count and time per monitor. */
  readonly #latest = new Map<string, { value: number, time: number }>()
  readonly #zones = new Map<string, ZoneTrack>()
  readonly #resumed = new Map<string, ResumedZone>()
  #states: ZoneAlertState[] = []
  #ticking: Promise<void> = Promise.resolve()

  constructor (deps: AlertEngineDeps) {
    this.#deps = deps
    this.#feed.setMaxListeners(0)
  }

  /** Takes stored readings; only the counts of crowd monitors matter here. */
  observe (readings: readonly Reading[]): void {
    for (const r of readings) {
      if (r.field !== this.#deps.countField) continue
      const seen = this.#latest.get(r.sensorId)
      if (seen === undefined || r.time >= seen.time) this.#latest.set(r.sensorId, { value: r.value, time: r.time })
    }
  }

  /**
   * Starts again from what the stores hold: the latest count of every monitor, and for each
   * zone the level and silent monitors its events (any order, e.g. the newest thousand) last
   * gave. So a zone that was critical when the previous leader died is not lowered to normal
   * and raised again after ALERT_MIN_DURATION_S, and a monitor already reported silent is not
   * reported twice. A zone without events starts at normal. Counts already observed stay
   * where newer than `latest` (a standby hears them while it waits).
   */
  resume (latest: readonly Reading[], events: readonly AlertEvent[]): void {
    this.#zones.clear()
    this.#resumed.clear()
    this.#states = []
    this.observe(latest)
    const ordered = [...events].sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : BigInt(a.id) > BigInt(b.id) ? 1 : 0))
    for (const event of ordered) {
      const time = Date.parse(event.time)
      const zone = this.#resumed.get(event.zoneId) ?? { level: 'normal', since: time, silent: new Set<string>() }
      if (event.type === 'level') {
        zone.level = event.level
        zone.since = time
      }
      for (const id of event.sensorIds) {
        if (event.type === 'no-signal') zone.silent.add(id)
        if (event.type === 'signal') zone.silent.delete(id)
      }
      this.#resumed.set(event.zoneId, zone)
    }
  }

  /** Evaluates every zone at `now`; stores and publishes what changed. One tick at a time. */
  tick (now: number): Promise<void> {
    const run = this.#ticking.then(() => this.#tick(now))
    this.#ticking = run.catch(() => {})
    return run
  }

  /** Current state of every zone with monitors, most severe first. */
  states (): ZoneAlertState[] {
    return this.#states
  }

  /** Live alert events and zone states; returns the unsubscribe function. */
  subscribe (listener: (item: AlertFeedItem) => void): () => void {
    this.#feed.on('item', listener)
    return () => { this.#feed.off('item', listener) }
  }

  async #tick (now: number): Promise<void> {
    const states: ZoneAlertState[] = []
    for (const zone of this.#deps.zones()) {
      const monitors = this.#deps.monitorsOf(zone.id)
      if (monitors.length === 0) continue
      const track = this.#track(zone, now)
      const reports = new Map(monitors.map((m) => [m.id, this.#latest.get(m.id)?.time]))
      const silent = new Set(silentSensors(reports, now, this.#deps.expectedIntervalMs))
      const count = monitors.reduce((sum, m) => sum + (silent.has(m.id) ? 0 : (this.#latest.get(m.id)?.value ?? 0)), 0)
      track.count = count
      track.samples = [...track.samples.filter((s) => s.time > now - 10 * 60_000), { time: now, count }]

      const wentQuiet = [...silent].filter((id) => !track.silent.has(id))
      const cameBack = [...track.silent].filter((id) => !silent.has(id))
      track.silent = silent
      const base = { zoneId: zone.id, level: track.machine.level, previousLevel: track.machine.level, count, density: track.machine.density(count), threshold: null, time: new Date(now).toISOString(), ack: null }
      if (wentQuiet.length > 0) await this.#emit({ ...base, type: 'no-signal', sensorIds: wentQuiet.sort() })
      if (cameBack.length > 0) await this.#emit({ ...base, type: 'signal', sensorIds: cameBack.sort() })

      const change = track.machine.update(count, now)
      if (change !== undefined) {
        await this.#emit({ zoneId: zone.id, type: 'level', level: change.level, previousLevel: change.previousLevel, count: change.count, density: change.density, threshold: change.threshold, sensorIds: [], time: new Date(change.time).toISOString(), ack: null })
      }
      const thresholds = zone.thresholds ?? DEFAULT_THRESHOLDS
      states.push({
        zoneId: zone.id,
        name: zone.name,
        level: track.machine.level,
        silentSensorIds: [...silent].sort(),
        count,
        density: track.machine.density(count),
        areaM2: zone.areaM2,
        trend: trendOf(track.samples),
        thresholds: { unit: thresholds.unit ?? 'perM2', busy: thresholds.busy, crowded: thresholds.crowded, critical: thresholds.critical },
        levelSince: new Date(track.machine.levelSince).toISOString(),
        updatedAt: new Date(now).toISOString()
      })
    }
    states.sort((a, b) => SEVERITY[b.level] - SEVERITY[a.level] || b.silentSensorIds.length - a.silentSensorIds.length || b.density - a.density || a.zoneId.localeCompare(b.zoneId))
    const changed = JSON.stringify(strip(states)) !== JSON.stringify(strip(this.#states))
    this.#states = states
    if (changed) this.#feed.emit('item', { type: 'zones', zones: states })
  }

  /** The zone's machine, made anew when its area or thresholds changed in the register. */
  #track (zone: Zone, now: number): ZoneTrack {
    const thresholds = zone.thresholds ?? DEFAULT_THRESHOLDS
    const key = JSON.stringify([zone.areaM2, thresholds])
    const existing = this.#zones.get(zone.id)
    if (existing !== undefined && existing.thresholdsKey === key) return existing
    const resumed = this.#resumed.get(zone.id)
    const machine = new ZoneAlertMachine(
      { thresholds: { unit: thresholds.unit ?? 'perM2', busy: thresholds.busy, crowded: thresholds.crowded, critical: thresholds.critical }, areaM2: zone.areaM2, hysteresis: this.#deps.hysteresis, minDurationMs: this.#deps.minDurationMs },
      existing === undefined ? { level: resumed?.level ?? 'normal', since: resumed?.since ?? now } : { level: existing.machine.level, since: existing.machine.levelSince }
    )
    const track: ZoneTrack = { machine, areaM2: zone.areaM2, thresholdsKey: key, silent: existing?.silent ?? resumed?.silent ?? new Set(), samples: existing?.samples ?? [], count: existing?.count ?? 0 }
    this.#zones.set(zone.id, track)
    return track
  }

  async #emit (event: Omit<AlertEvent, 'id'>): Promise<void> {
    const stored = await this.#deps.store.append(event)
    this.#feed.emit('item', { type: 'alert', event: stored })
  }
}

/** Zone states without their clock, to tell whether anything a viewer sees changed. */
function strip (states: readonly ZoneAlertState[]): unknown[] {
  return states.map(({ updatedAt, ...rest }) => rest)
}

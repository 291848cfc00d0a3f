import { describe, expect, it } from 'vitest'
import { ALERT_LEVELS, type AlertLevel } from '../../core/alerts.js'
import { loadConfig } from '../../core/config.js'
import { zoneInputSchema } from '../../core/sensor.js'
import { ZoneAlertMachine } from '../../ingest/alerts/zone-alert-machine.js'
import { CROWD_ZONES } from '../../simulators/crowd.js'
import { ringAreaM2 } from '../../simulators/geo.js'
import { SIMULATED_KINDS, deviceSeed, type DeviceContext } from '../../simulators/models.js'
import { parseOptions } from '../../simulators/options.js'
import { monitorShare, surgeCount, surgeProfile, SurgeError, surgeThresholds, type SurgeProfile } from '../../simulators/surge.js'
import { surgeCrowd, surgeSlots, withSurgeZones, zoneIdOf } from '../../simulators/surge-crowd.js'

const crowd = SIMULATED_KINDS.find((k) => k.kind === 'crowd')!
const station = { id: 'utrecht-centraal-stationshal', areaM2: 15_000, capacity: 6000 }
const profile: SurgeProfile = surgeProfile({ ...station, thresholds: surgeThresholds(station.capacity) })

/** Counts sent once a second over a run of `durationS`, the first `offsetS` into it (devices start at different moments). */
function readings (p: SurgeProfile, durationS: number, offsetS: number): number[] {
  const counts: number[] = []
  for (let t = offsetS; t < durationS; t++) counts.push(surgeCount(p, t / durationS))
  return counts
}

/** The levels the platform's zone machine goes through for these counts, one evaluation per count. */
function levels (counts: readonly number[], p: SurgeProfile, hysteresis: number): AlertLevel[] {
  const machine = new ZoneAlertMachine({ thresholds: { unit: 'people', busy: p.busy, crowded: p.crowded, critical: p.critical }, areaM2: 1000, hysteresis, minDurationMs: 0 })
  const seen: AlertLevel[] = ['normal']
  counts.forEach((count, i) => {
    const change = machine.update(count, i * 1000)
    if (change !== undefined) seen.push(change.level)
  })
  return seen
}

const rank = (level: AlertLevel): number => ALERT_LEVELS.indexOf(level)

describe('surge thresholds', () => {
  it('are 50, 70 and 90 % of the capacity in people, which the zone API accepts', () => {
    expect(surgeThresholds(6000)).toEqual({ unit: 'people', busy: 3000, crowded: 4200, critical: 5400 })
    for (let index = 0; index < CROWD_ZONES.length; index++) {
      const { zone } = withSurgeZones(crowd).registration(index, deviceSeed(1, 'crowd', index))
      expect(zone?.thresholds).toMatchObject({ unit: 'people' })
      expect(zoneInputSchema.safeParse(zone).success, zone?.id).toBe(true)
    }
  })

  it('refuse a capacity too small for three distinct levels', () => {
    expect(() => surgeThresholds(3)).toThrow(SurgeError)
  })
})

describe('surge profile', () => {
  it('peaks midway between critical and the capacity, and is quiet well below busy', () => {
    expect(profile).toEqual({ quiet: 1200, busy: 3000, crowded: 4200, critical: 5400, peak: 5700 })
  })

  it('turns thresholds per m2 into whole people over the zone\'s area', () => {
    const p = surgeProfile({ id: 'plein', areaM2: 1001, capacity: 2000, thresholds: { unit: 'perM2', busy: 0.5, crowded: 0.8, critical: 1 } })
    expect(p).toEqual({ quiet: 200, busy: 501, crowded: 801, critical: 1001, peak: 1500 })
  })

  it('refuses a zone whose critical level lies above its capacity, naming it', () => {
    // A simulator zone registered outside surge mode: the platform's default 1.0 per m2 is far above its capacity.
    const zone = CROWD_ZONES[0]!
    expect(() => surgeProfile({ id: zone.id, areaM2: ringAreaM2(zone.ring), capacity: zone.capacity })).toThrow(/utrecht-centraal-stationshal turns critical at 1 per m2 .* above its capacity of 6000/)
  })

  it('without a capacity, peaks a tenth above critical', () => {
    expect(surgeProfile({ id: 'open', areaM2: 100 }).peak).toBe(110)
  })
})

describe('surge counts', () => {
  it('start and end quiet, rise steadily to the peak and fall steadily back, in whole people, never above the capacity', () => {
    const counts = Array.from({ length: 1001 }, (_, i) => surgeCount(profile, i / 1000))
    expect(counts[0]).toBe(profile.quiet)
    expect(counts.at(-1)).toBe(profile.quiet)
    const top = counts.indexOf(profile.peak)
    expect(top).toBeGreaterThan(0)
    for (let i = 1; i <= top; i++) expect(counts[i]).toBeGreaterThanOrEqual(counts[i - 1]!)
    for (let i = top + 1; i < counts.length; i++) expect(counts[i]).toBeLessThanOrEqual(counts[i - 1]!)
    for (const c of counts) {
      expect(Number.isInteger(c)).toBe(true)
      expect(c).toBeLessThanOrEqual(station.capacity)
    }
    expect(surgeCount(profile, -1)).toBe(profile.quiet)
    expect(surgeCount(profile, 2)).toBe(profile.quiet)
    expect(surgeCount(profile, Number.NaN)).toBe(profile.quiet)
  })

  it('at one reading a second over 20 s, hold each level on the way up for two readings, whenever the device started', () => {
    for (const offset of [0, 0.25, 0.5, 0.99]) {
      const counts = readings(profile, 20, offset)
      const inBand = (low: number, high: number): number => counts.filter((c) => c >= low && c < high).length
      expect(inBand(profile.busy, profile.crowded), `busy, offset ${offset}`).toBeGreaterThanOrEqual(2)
      expect(inBand(profile.crowded, profile.critical), `crowded, offset ${offset}`).toBeGreaterThanOrEqual(2)
      expect(inBand(profile.critical, Infinity), `critical, offset ${offset}`).toBeGreaterThanOrEqual(2)
      expect(counts.slice(-2).every((c) => c < profile.busy / 2), 'quiet at the end').toBe(true)
    }
  })

  it('take the platform\'s level machine through every level up and back to normal, for any allowed hysteresis', () => {
    for (const hysteresis of [0, 0.1, 0.5]) {
      const seen = levels(readings(profile, 20, 0.5), profile, hysteresis)
      const top = seen.indexOf('critical')
      expect(seen.slice(0, top + 1), `hysteresis ${hysteresis}`).toEqual(['normal', 'busy', 'crowded', 'critical'])
      const down = seen.slice(top)
      expect(down.at(-1)).toBe('normal')
      for (let i = 1; i < down.length; i++) expect(rank(down[i]!)).toBeLessThan(rank(down[i - 1]!))
    }
  })
})

describe('monitors sharing a zone', () => {
  it('split its count so the platform\'s sum is the surge', () => {
    for (const [total, monitors] of [[0, 1], [7, 3], [5700, 4], [2, 5]] as const) {
      const shares = Array.from({ length: monitors }, (_, r) => monitorShare(total, monitors, r))
      expect(shares.reduce((a, b) => a + b, 0)).toBe(total)
      expect(Math.max(...shares) - Math.min(...shares)).toBeLessThanOrEqual(1)
    }
  })

  it('each send their share of the surge of their own zone, once a second by default', () => {
    // Indexes 0 and 6 share the first zone, index 1 counts alone in the second.
    const devices = [0, 1, 6].map((index) => ({ index, seed: deviceSeed(1, 'crowd', index) }))
    const slots = surgeSlots(devices.map((d) => ({ index: d.index, zoneId: zoneIdOf(crowd, d.index, d.seed)! })))
    expect(slots.get(6)).toEqual({ zoneId: CROWD_ZONES[0]!.id, monitors: 2, rank: 1 })
    expect(slots.get(1)).toEqual({ zoneId: CROWD_ZONES[1]!.id, monitors: 1, rank: 0 })
    const second = surgeProfile({ id: CROWD_ZONES[1]!.id, areaM2: 1000, capacity: 3500, thresholds: surgeThresholds(3500) })
    const startMs = Date.UTC(2025, 5, 7, 12)
    const kind = surgeCrowd(crowd, { startMs, durationMs: 20_000, profiles: new Map([[CROWD_ZONES[0]!.id, profile], [CROWD_ZONES[1]!.id, second]]), slots })
    expect(kind.defaultRate).toBe(1)
    const sent = (index: number, atMs: number): number | undefined => {
      const device: DeviceContext = { sensorId: `sim-${index}`, index, seed: deviceSeed(1, 'crowd', index), citySeed: 1 }
      const out = kind.message(device, atMs, atMs)
      return out === null ? undefined : (JSON.parse(out.body) as Array<{ v: number }>)[0]!.v
    }
    const peakMs = startMs + 9_000
    expect(sent(0, peakMs)! + sent(6, peakMs)!).toBe(profile.peak)
    expect(sent(1, peakMs)).toBe(second.peak)
    // A device of this run with no plan (it failed to connect when the plan was made) stays silent.
    expect(sent(12, peakMs)).toBeUndefined()
  })
})

describe('--mode surge options', () => {
  const config = loadConfig({ DATA_DIR: '/tmp/sensorstad-surge-options' })

  it('takes a crowd count and a duration', () => {
    expect(parseOptions(['--mode', 'surge', '--crowd', '1', '--duration', '20'], config)).toMatchObject({ mode: 'surge', counts: { crowd: 1, bikes: 0, bins: 0 }, durationS: 20 })
  })

  it('refuses a surge it cannot play, saying what to change', () => {
    const bad: Array<[string[], RegExp]> = [
      [['--mode', 'surge', '--bikes', '2', '--duration', '20'], /--crowd/],
      [['--mode', 'surge', '--crowd', '1'], /--duration/],
      [['--mode', 'surge', '--crowd', '1', '--duration', '5'], /at least 10 seconds/],
      [['--mode', 'surge', '--crowd', '1', '--duration', '20', '--speed', '60'], /real time/],
      [['--mode', 'surge', '--crowd', '1', '--duration', '20', '--start', '2025-06-07T12:00:00+02:00'], /real time/]
    ]
    for (const [argv, message] of bad) expect(() => parseOptions(argv, config), argv.join(' ')).toThrow(message)
  })
})

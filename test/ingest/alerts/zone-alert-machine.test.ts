import { describe, expect, it } from 'vitest'
import { DEFAULT_THRESHOLDS, type AlertLevel } from '../../../core/alerts.js'
import { ZoneAlertMachine, type LevelChange, type ZoneAlertOptions } from '../../../ingest/alerts/zone-alert-machine.js'

// 2024-06-01T20:00:00Z, a Saturday evening; series below are one count a minute from here.
const T0 = Date.UTC(2024, 5, 1, 20)
const SEC = 1000
const MIN = 60 * SEC

/**
 * A 100 m2 zone with the default thresholds (0.5, 0.8, 1.0 per m2), so counts read as
 * percentages: busy from 50 people, crowded from 80, critical from 100; with 10 % hysteresis
 * they are left below 45, 72 and 90.
 */
const plaza = (over: Partial<ZoneAlertOptions> = {}): ZoneAlertOptions =>
  ({ thresholds: DEFAULT_THRESHOLDS, areaM2: 100, hysteresis: 0.1, minDurationMs: MIN, ...over })

/** Feeds `counts` one per `step` from `start` and collects the changes they cause. */
function feed (machine: ZoneAlertMachine, counts: readonly number[], start = T0, step = MIN): LevelChange[] {
  return counts.flatMap((count, i) => machine.update(count, start + i * step) ?? [])
}

/** A change in the 100 m2 plaza at minute `minute` of the series. */
const change = (minute: number, previousLevel: AlertLevel, level: AlertLevel, count: number, threshold: number): LevelChange =>
  ({ level, previousLevel, count, density: count / 100, threshold, time: T0 + minute * MIN })

describe('ZoneAlertMachine', () => {
  it('raises busy, crowded and critical in turn, each after holding a minute, then drops back to normal', () => {
    const machine = new ZoneAlertMachine(plaza())
    //                              m0  m1  m2  m3  m4  m5  m6   m7   m8  m9  m10
    const events = feed(machine, [20, 30, 55, 60, 85, 90, 105, 110, 95, 40, 30])
    expect(events).toEqual([
      change(3, 'normal', 'busy', 60, 0.5),
      change(5, 'busy', 'crowded', 90, 0.8),
      change(7, 'crowded', 'critical', 110, 1.0),
      // 95 is inside critical's band (>= 90), 40 starts the fall, 30 a minute later completes it;
      // the threshold is that of the level left.
      change(10, 'critical', 'normal', 30, 1.0)
    ])
    expect(machine.level).toBe('normal')
    expect(machine.levelSince).toBe(T0 + 10 * MIN)
  })

  it('falls to the highest level whose lowered threshold the count still meets', () => {
    const machine = new ZoneAlertMachine(plaza())
    //                              m0   m1   m2  m3  m4  m5
    const events = feed(machine, [120, 120, 75, 75, 40, 40])
    expect(events).toEqual([
      change(1, 'normal', 'critical', 120, 1.0),
      // 75 is under crowded's own 80 but over its lowered 72: crowded, not busy.
      change(3, 'critical', 'crowded', 75, 1.0),
      change(5, 'crowded', 'normal', 40, 0.8)
    ])
  })

  it('emits nothing after the first raise while the count oscillates within the hysteresis band', () => {
    // No minimum duration, so only the hysteresis stands between these counts and flapping.
    const machine = new ZoneAlertMachine(plaza({ minDurationMs: 0 }))
    // 72 is exactly crowded's lowered threshold (0.8 * 0.9, not below it even in floats).
    const events = feed(machine, [80, 75, 82, 73, 79, 72, 81, 74, 78])
    expect(events).toEqual([change(0, 'normal', 'crowded', 80, 0.8)])
    expect(machine.level).toBe('crowded')
    expect(machine.levelSince).toBe(T0)
  })

  it('ignores a spike shorter than the minimum duration', () => {
    const machine = new ZoneAlertMachine(plaza())
    expect(feed(machine, [20, 120, 20, 20])).toEqual([])
    // Half-minute samples: 120 held from 0 s to 30 s is still shorter than 60 s.
    expect(feed(machine, [120, 120, 20, 20], T0 + 10 * MIN, 30 * SEC)).toEqual([])
    expect(machine.level).toBe('normal')
  })

  it('raises a spike that holds exactly the minimum duration', () => {
    const machine = new ZoneAlertMachine(plaza())
    expect(feed(machine, [20, 120, 120, 20])).toEqual([change(2, 'normal', 'critical', 120, 1.0)])
  })

  it('restarts the clock of a rise at any count below its threshold', () => {
    const machine = new ZoneAlertMachine(plaza())
    // The dip at m2 means the second run starts at m3 and holds only from m4.
    expect(feed(machine, [10, 60, 49, 60, 60])).toEqual([change(4, 'normal', 'busy', 60, 0.5)])
  })

  it('needs the minimum duration to fall too', () => {
    const machine = new ZoneAlertMachine(plaza({ minDurationMs: 2 * MIN }))
    //                              m0  m1  m2  m3  m4  m5  m6  m7  m8
    const events = feed(machine, [85, 85, 85, 30, 30, 85, 30, 30, 30])
    expect(events).toEqual([
      change(2, 'normal', 'crowded', 85, 0.8),
      // m3-m4 is one minute below, then m5 is back up; the fall counts from m6.
      change(8, 'crowded', 'normal', 30, 0.8)
    ])
  })

  it('emits one change for a jump straight to critical, not three', () => {
    const machine = new ZoneAlertMachine(plaza())
    expect(feed(machine, [10, 150, 150, 150])).toEqual([change(2, 'normal', 'critical', 150, 1.0)])
  })

  it('changes on the update itself when the minimum duration is 0', () => {
    const machine = new ZoneAlertMachine(plaza({ minDurationMs: 0 }))
    expect(feed(machine, [10, 150, 10])).toEqual([
      change(1, 'normal', 'critical', 150, 1.0),
      change(2, 'critical', 'normal', 10, 1.0)
    ])
  })

  it('compares head counts when the thresholds are in people', () => {
    // 1000 m2, so 200 people is only 0.2 per m2: per-m2 logic would raise nothing here.
    const machine = new ZoneAlertMachine({ thresholds: { unit: 'people', busy: 200, crowded: 400, critical: 600 }, areaM2: 1000, hysteresis: 0.1, minDurationMs: 0 })
    const at = (minute: number, previousLevel: AlertLevel, level: AlertLevel, count: number, threshold: number): LevelChange =>
      ({ level, previousLevel, count, density: count / 1000, threshold, time: T0 + minute * MIN })
    //                              m0   m1   m2   m3   m4   m5
    const events = feed(machine, [199, 200, 599, 600, 541, 539])
    expect(events).toEqual([
      at(1, 'normal', 'busy', 200, 200),
      at(2, 'busy', 'crowded', 599, 400),
      at(3, 'crowded', 'critical', 600, 600),
      // Critical is left below 540 people; 539 still meets crowded's lowered 360.
      at(5, 'critical', 'crowded', 539, 600)
    ])
  })

  it('keeps a level it was initialised with, and leaves it only by falling', () => {
    const since = T0 - 45 * MIN
    const machine = new ZoneAlertMachine(plaza(), { level: 'crowded', since })
    expect(machine.level).toBe('crowded')
    // All within or above crowded's band; none of them would raise crowded from normal afresh.
    expect(feed(machine, [75, 85, 79, 72, 85])).toEqual([])
    expect(machine.level).toBe('crowded')
    expect(machine.levelSince).toBe(since)
    expect(feed(machine, [60, 60], T0 + 10 * MIN)).toEqual([change(11, 'crowded', 'busy', 60, 0.8)])
    expect(machine.levelSince).toBe(T0 + 11 * MIN)
  })

  it('starts at normal, with the first update as the start of the level', () => {
    const machine = new ZoneAlertMachine(plaza())
    expect(machine.level).toBe('normal')
    machine.update(10, T0 + 5 * MIN)
    expect(machine.levelSince).toBe(T0 + 5 * MIN)
  })

  it('decides on the exact density, not a rounded one', () => {
    // 1234.5 m2: crowded (0.8) from 987.6 people, critical (2.0) from exactly 2469.
    const machine = new ZoneAlertMachine({ thresholds: { unit: 'perM2', busy: 0.4, crowded: 0.8, critical: 2.0 }, areaM2: 1234.5, hysteresis: 0.1, minDurationMs: 0 })
    // 987 is 0.79951 per m2: "0.80" to two decimals, yet below crowded.
    expect(machine.update(987, T0)).toMatchObject({ level: 'busy', threshold: 0.4 })
    const crowded = machine.update(988, T0 + MIN)
    expect(crowded).toMatchObject({ level: 'crowded', previousLevel: 'busy', count: 988, threshold: 0.8 })
    expect(crowded?.density).toBeCloseTo(0.800324, 6)
    // 2468 is 1.99919 per m2: "2.00" to two decimals, yet below critical.
    expect(machine.update(2468, T0 + 2 * MIN)).toBeUndefined()
    expect(machine.update(2469, T0 + 3 * MIN)).toEqual({ level: 'critical', previousLevel: 'crowded', count: 2469, density: 2, threshold: 2, time: T0 + 3 * MIN })
    expect(machine.density(617)).toBeCloseTo(0.499797, 6)
  })

  it('refuses a count that is negative or not finite, and changes nothing', () => {
    const machine = new ZoneAlertMachine(plaza({ minDurationMs: 0 }))
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => machine.update(bad, T0)).toThrow(RangeError)
    }
    expect(() => machine.update(10, Number.NaN)).toThrow(RangeError)
    expect(machine.level).toBe('normal')
    expect(machine.update(0, T0)).toBeUndefined()
  })

  it('refuses options it cannot work with', () => {
    const bad: Array<Partial<ZoneAlertOptions>> = [
      { thresholds: { unit: 'perM2', busy: 0.8, crowded: 0.5, critical: 1.0 } },
      { thresholds: { unit: 'perM2', busy: 0, crowded: 0.5, critical: 1.0 } },
      { areaM2: 0 },
      { hysteresis: 1 },
      { hysteresis: -0.1 },
      { minDurationMs: -1 }
    ]
    for (const over of bad) expect(() => new ZoneAlertMachine(plaza(over))).toThrow(RangeError)
    expect(() => new ZoneAlertMachine(plaza(), { level: 'panic' as AlertLevel, since: T0 })).toThrow(RangeError)
  })
})

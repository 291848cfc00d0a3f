import { DEFAULT_THRESHOLDS } from '../core/alerts.js'

/**
 * One crowd surge, for `--mode surge`: a zone goes from quiet through busy and crowded to
 * critical, holds there, and empties again, over the run's `--duration`. A count is a pure
 * function of the zone's profile and the share of the run gone by, without noise: the
 * scenario exists to show and test every alert level, and noise would only blur when each
 * threshold is crossed.
 */

/** The level thresholds, in people, that surge mode registers with a zone: shares of its capacity. */
export const SURGE_SHARES = { busy: 0.5, crowded: 0.7, critical: 0.9 } as const

/**
 * The quiet count, as a share of the busy threshold. The platform leaves a level only once
 * the count is ALERT_HYSTERESIS below its threshold, and that setting is at most 0.5, so
 * 0.4 brings the zone back to normal whatever the platform is configured with.
 */
const QUIET_SHARE_OF_BUSY = 0.4

/** People counts a surge passes through; the thresholds are whole people at or above the zone's own. */
export interface SurgeProfile {
  quiet: number
  busy: number
  crowded: number
  critical: number
  /** Highest count; at or above `critical`, never above the zone's capacity. */
  peak: number
}

/** What a surge needs to know of a registered zone (a subset of core's Zone). */
export interface SurgeZone {
  id: string
  areaM2: number
  capacity?: number | undefined
  thresholds?: { unit?: 'perM2' | 'people' | undefined, busy: number, crowded: number, critical: number } | undefined
}

/** A zone whose critical level cannot be reached with counts the platform accepts. */
export class SurgeError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'SurgeError'
  }
}

/** Thresholds in people at SURGE_SHARES of `capacity`, so critical is reachable below it. */
export function surgeThresholds (capacity: number): { unit: 'people', busy: number, crowded: number, critical: number } {
  const t = {
    unit: 'people' as const,
    busy: Math.round(capacity * SURGE_SHARES.busy),
    crowded: Math.round(capacity * SURGE_SHARES.crowded),
    critical: Math.round(capacity * SURGE_SHARES.critical)
  }
  // Rounding merges the levels of a tiny zone; the platform refuses thresholds that do not rise.
  if (!(t.busy > 0 && t.busy < t.crowded && t.crowded < t.critical)) throw new SurgeError(`a capacity of ${capacity} is too small for three distinct levels; give the zone at least 10 people`)
  return t
}

/**
 * The surge for a zone as the platform will judge it: its registered thresholds (or the
 * platform's defaults per m2) in whole people, and a peak midway between critical and the
 * capacity, plainly critical yet never a count ingest refuses (counts above a zone's
 * capacity are rejected). Throws a SurgeError when critical lies above the capacity.
 */
export function surgeProfile (zone: SurgeZone): SurgeProfile {
  const t = zone.thresholds ?? DEFAULT_THRESHOLDS
  const people = (v: number): number => Math.ceil((t.unit ?? 'perM2') === 'people' ? v : v * zone.areaM2)
  const busy = people(t.busy)
  const crowded = people(t.crowded)
  const critical = people(t.critical)
  const capacity = zone.capacity
  if (capacity !== undefined && critical > capacity) {
    const given = (t.unit ?? 'perM2') === 'people' ? `${t.critical} people` : `${t.critical} per m2 over ${Math.round(zone.areaM2)} m2, ${critical} people`
    throw new SurgeError(`zone ${zone.id} turns critical at ${given}, above its capacity of ${capacity}, and counts above the capacity are refused`)
  }
  // Without a capacity nothing caps the count; a tenth above critical is plainly critical.
  const peak = capacity === undefined ? Math.ceil(critical * 11 / 10) : Math.max(critical, Math.floor((critical + capacity) / 2))
  return { quiet: Math.floor(busy * QUIET_SHARE_OF_BUSY), busy, crowded, critical, peak }
}

type Point = keyof SurgeProfile

/**
 * The course of a surge as (share of the run, count) points joined by straight lines. Each
 * level band on the way up gets a tenth of the run, however narrow it is in people, so a
 * short run still holds every level long enough for the platform's tick to see it; a plain
 * triangle from quiet to peak would rush through the narrow bands. The quiet tail is longer
 * than the lead so the zone is back at normal well before the run ends.
 */
const COURSE: ReadonlyArray<readonly [number, Point]> = [
  [0, 'quiet'],
  [0.05, 'quiet'],
  [0.1, 'busy'],
  [0.2, 'crowded'],
  [0.3, 'critical'],
  [0.4, 'peak'],
  [0.5, 'peak'],
  [0.6, 'critical'],
  [0.7, 'crowded'],
  [0.8, 'busy'],
  [0.85, 'quiet'],
  [1, 'quiet']
]

/** People in the zone when `phase` (0 to 1) of the run has gone by; quiet before and after. A whole number. */
export function surgeCount (profile: SurgeProfile, phase: number): number {
  const p = Number.isFinite(phase) ? Math.min(1, Math.max(0, phase)) : 0
  for (let i = 1; i < COURSE.length; i++) {
    const [to, toPoint] = COURSE[i]!
    if (p > to) continue
    const [from, fromPoint] = COURSE[i - 1]!
    const a = profile[fromPoint]
    const b = profile[toPoint]
    return Math.round(a + (b - a) * (p - from) / (to - from))
  }
  return profile.quiet
}

/**
 * What the `rank`-th of `monitors` counters in a zone reports so that together they report
 * `total`: the platform adds up the latest count of every monitor of a zone.
 */
export function monitorShare (total: number, monitors: number, rank: number): number {
  return Math.floor(total / monitors) + (rank < total % monitors ? 1 : 0)
}

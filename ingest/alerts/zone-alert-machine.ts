import { ALERT_LEVELS, type AlertLevel } from '../../core/alerts.js'

/**
 * The level of one zone (issue #5), fed its people count on every evaluation. Pure: no clock,
 * no I/O; the caller passes the time. Two rules keep enforcement teams from being paged by
 * noise: a level must hold for `minDurationMs` before it is raised or dropped, and a level is
 * only left once the value is `hysteresis` below its threshold, so a crowd hovering around a
 * threshold raises one alert, not one per tick.
 */
export interface ZoneAlertOptions {
  /** `perM2`: persons per m2 of walkable area; `people`: a head count. busy < crowded < critical. */
  thresholds: { unit: 'perM2' | 'people', busy: number, crowded: number, critical: number }
  /** Walkable area, m2; also used for the density reported with a `people` unit. */
  areaM2: number
  /** Fraction below a level's threshold the value must drop to leave it, 0 <= h < 1 (config ALERT_HYSTERESIS). */
  hysteresis: number
  /** How long a change must hold before it is emitted, ms (config ALERT_MIN_DURATION_S); 0 is immediate. */
  minDurationMs: number
}

export interface LevelChange {
  level: AlertLevel
  previousLevel: AlertLevel
  /** People in the zone at the update that caused the change. */
  count: number
  /** Persons per m2, unrounded: rounding is for display and must not decide a level. */
  density: number
  /**
   * In the thresholds' unit: the threshold of the level entered when rising, of the level left
   * when falling (its plain value, not the hysteresis-lowered one the value dropped below).
   */
  threshold: number
  /** Time of the update that caused the change, ms. */
  time: number
}

/**
 * Relative slack in threshold comparisons. Lowered thresholds are products of decimals that
 * binary floats cannot hold (0.8 * 0.9 is 0.7200000000000001), so without it a density of
 * exactly 0.72 would count as below 0.72. One person in a million at the threshold is still
 * far above this, so it never merges two real counts.
 */
const SLACK = 1e-9

function atLeast (value: number, limit: number): boolean {
  return value >= limit - limit * SLACK
}

export class ZoneAlertMachine {
  readonly #unit: 'perM2' | 'people'
  readonly #areaM2: number
  readonly #minDurationMs: number
  /** Raise thresholds by level index (normal is 0, always met by a count >= 0). */
  readonly #raise: readonly number[]
  /** Thresholds lowered by the hysteresis: below this, a level may be left. */
  readonly #hold: readonly number[]
  #level: number
  #since: number
  /** Per level index: time of the first update of the current unbroken run at or above its threshold. */
  readonly #reachedAt: Array<number | undefined> = ALERT_LEVELS.map(() => undefined)
  /** Time of the first update of the current unbroken run below the current level's lowered threshold. */
  #belowAt: number | undefined

  /**
   * `initial` restores a level (after a restart or a change of thresholds) without emitting
   * it again; without it the zone starts at normal, and `levelSince` is NaN until the first
   * update, whose time it then takes.
   */
  constructor (options: ZoneAlertOptions, initial?: { level: AlertLevel, since: number }) {
    const { thresholds: t, areaM2, hysteresis, minDurationMs } = options
    if (![t.busy, t.crowded, t.critical].every((v) => Number.isFinite(v) && v > 0) || !(t.busy < t.crowded && t.crowded < t.critical)) {
      throw new RangeError(`thresholds need 0 < busy < crowded < critical, got ${t.busy}, ${t.crowded}, ${t.critical}`)
    }
    if (t.unit !== 'perM2' && t.unit !== 'people') throw new RangeError(`thresholds unit must be perM2 or people, got ${String(t.unit)}`)
    if (!(Number.isFinite(areaM2) && areaM2 > 0)) throw new RangeError(`areaM2 must be a positive number, got ${areaM2}`)
    if (!(hysteresis >= 0 && hysteresis < 1)) throw new RangeError(`hysteresis must be a fraction 0 <= h < 1, got ${hysteresis}`)
    if (!(Number.isFinite(minDurationMs) && minDurationMs >= 0)) throw new RangeError(`minDurationMs must be a non-negative number, got ${minDurationMs}`)
    this.#unit = t.unit
    this.#areaM2 = areaM2
    this.#minDurationMs = minDurationMs
    this.#raise = [0, t.busy, t.crowded, t.critical]
    this.#hold = this.#raise.map((v) => v * (1 - hysteresis))
    const level = initial === undefined ? 0 : ALERT_LEVELS.indexOf(initial.level)
    if (level < 0) throw new RangeError(`unknown alert level ${String(initial?.level)}`)
    if (initial !== undefined && !Number.isFinite(initial.since)) throw new RangeError(`initial since must be a finite time, got ${initial.since}`)
    this.#level = level
    this.#since = initial?.since ?? Number.NaN
  }

  get level (): AlertLevel {
    return ALERT_LEVELS[this.#level]!
  }

  /** When the current level began (the time of the change that entered it), ms. */
  get levelSince (): number {
    return this.#since
  }

  /** Persons per m2 of walkable area. */
  density (count: number): number {
    return count / this.#areaM2
  }

  /**
   * Feeds the zone's people count at `time` (ms); returns the change this causes, if any.
   * A time earlier than the last one (a wall clock stepped back) is accepted: it can only
   * delay a pending change, never hasten one.
   */
  update (count: number, time: number): LevelChange | undefined {
    if (!(Number.isFinite(count) && count >= 0)) throw new RangeError(`count must be a non-negative finite number, got ${count}`)
    if (!Number.isFinite(time)) throw new RangeError(`time must be a finite number of ms, got ${time}`)
    if (Number.isNaN(this.#since)) this.#since = time
    const value = this.#unit === 'people' ? count : this.density(count)

    for (let i = 1; i < this.#raise.length; i++) {
      if (atLeast(value, this.#raise[i]!)) this.#reachedAt[i] ??= time
      else this.#reachedAt[i] = undefined
    }

    // Highest first, so a jump straight to critical that holds is one change, not three.
    for (let i = this.#raise.length - 1; i > this.#level; i--) {
      const reachedAt = this.#reachedAt[i]
      if (reachedAt !== undefined && time - reachedAt >= this.#minDurationMs) return this.#change(i, this.#raise[i]!, count, time)
    }

    if (this.#level === 0 || atLeast(value, this.#hold[this.#level]!)) {
      this.#belowAt = undefined
      return undefined
    }
    this.#belowAt ??= time
    if (time - this.#belowAt < this.#minDurationMs) return undefined
    let target = this.#level - 1
    while (target > 0 && !atLeast(value, this.#hold[target]!)) target--
    return this.#change(target, this.#raise[this.#level]!, count, time)
  }

  #change (level: number, threshold: number, count: number, time: number): LevelChange {
    const previousLevel = this.level
    this.#level = level
    this.#since = time
    this.#belowAt = undefined
    return { level: this.level, previousLevel, count, density: this.density(count), threshold, time }
  }
}

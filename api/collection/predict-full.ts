/**
 * When a waste bin reaches a filling level, from its own recent readings. A bin fills
 * roughly linearly between emptyings (waste per hour varies by hour of day, but over a day or
 * two the trend is steady), so a least-squares line over the current fill cycle gives the
 * rate. Times are epoch milliseconds, levels percent.
 */
import { leastSquaresSlope } from '../../core/least-squares.js'
const HOUR_MS = 3_600_000
/** Only this much history counts: older rates say little about this week's use. */
export const PREDICTION_WINDOW_MS = 48 * HOUR_MS
/**
 * A fall of more than this many points between two readings is an emptying and starts a new
 * fill cycle; smaller falls are compaction or sensor noise (ultrasonic sensors jump a few
 * points as waste settles) and stay in the cycle.
 */
export const EMPTYING_DROP_PCT = 20

export interface LevelPoint { time: number, value: number }

export interface Prediction {
  /** The latest reading, %. */
  level: number
  /** Least-squares slope over the current cycle, %/h; 0 with fewer than two readings. */
  rate: number
  /**
   * At or above the threshold already: since when (the first reading of the run at or above
   * it that the latest reading ends). Below it and rising: when the line from the latest reading at `rate` meets
   * the threshold (may lie in the past for a bin that stopped reporting). Otherwise null.
   */
  fullAt: number | null
}

/** Undefined without readings: there is nothing to say about such a bin. */
export function predictFull (readings: readonly LevelPoint[], threshold: number, now: number): Prediction | undefined {
  const sorted = [...readings].sort((a, b) => a.time - b.time)
  const last = sorted.at(-1)
  if (last === undefined) return undefined

  let start = 0
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i - 1]!.value - sorted[i]!.value > EMPTYING_DROP_PCT) start = i
  }
  const cycle = sorted.slice(start)
  // The latest reading always counts, however old: it is the only thing known of the bin.
  const recent = cycle.filter((r, i) => r.time >= now - PREDICTION_WINDOW_MS || i === cycle.length - 1)

  const level = last.value
  const rate = slopePerHour(recent)
  if (level >= threshold) {
    let since = cycle.length - 1
    while (since > 0 && cycle[since - 1]!.value >= threshold) since--
    return { level, rate, fullAt: cycle[since]!.time }
  }
  const fullAt = rate > 0 ? last.time + ((threshold - level) / rate) * HOUR_MS : null
  return { level, rate, fullAt }
}

/** Filling rate in % per hour: the least-squares slope over the fill cycle. */
function slopePerHour (points: readonly LevelPoint[]): number {
  return leastSquaresSlope(points.map((p) => ({ x: p.time / HOUR_MS, y: p.value })))
}

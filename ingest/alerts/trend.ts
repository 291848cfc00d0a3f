import type { TRENDS } from '../../core/alerts.js'
import { leastSquaresSlope } from '../../core/least-squares.js'

export type Trend = typeof TRENDS[number]

/** Below this many people a change over the window is noise, however small the crowd. */
const MIN_CHANGE_PEOPLE = 2
/** ...and below this fraction of the mean count, for a large crowd. */
const MIN_CHANGE_FRACTION = 0.05

/**
 * Whether a zone's count is rising, falling or steady (issue #5), from the samples in the
 * `windowMs` up to the newest one (inclusive at both ends). The least-squares slope is used
 * rather than first-to-last, so one odd sample at either end cannot flip the trend. The change
 * over the window (slope * windowMs) must exceed max(2 people, 5 % of the mean count).
 * Fewer than two samples, or all at one time, is steady. Samples need not be sorted.
 */
export function trendOf (samples: ReadonlyArray<{ time: number, count: number }>, windowMs = 5 * 60_000): Trend {
  if (!(Number.isFinite(windowMs) && windowMs > 0)) throw new RangeError(`windowMs must be positive, got ${windowMs}`)
  for (const s of samples) {
    if (!Number.isFinite(s.time) || !Number.isFinite(s.count)) throw new RangeError(`a sample needs a finite time and count, got ${s.time}, ${s.count}`)
  }
  if (samples.length < 2) return 'steady'
  const newest = samples.reduce((max, s) => Math.max(max, s.time), -Infinity)
  const inWindow = samples.filter((s) => s.time >= newest - windowMs)
  if (inWindow.length < 2) return 'steady'

  if (new Set(inWindow.map((s) => s.time)).size < 2) return 'steady'
  const meanCount = inWindow.reduce((sum, s) => sum + s.count, 0) / inWindow.length
  const change = leastSquaresSlope(inWindow.map((s) => ({ x: s.time, y: s.count }))) * windowMs
  const needed = Math.max(MIN_CHANGE_PEOPLE, MIN_CHANGE_FRACTION * Math.abs(meanCount))
  if (change > needed) return 'rising'
  if (change < -needed) return 'falling'
  return 'steady'
}

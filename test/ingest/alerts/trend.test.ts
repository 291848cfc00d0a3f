import { describe, expect, it } from 'vitest'
import { trendOf } from '../../../ingest/alerts/trend.js'

const T0 = Date.UTC(2024, 5, 1, 20)
const MIN = 60_000

/** One sample a minute from `start`. */
const series = (counts: readonly number[], start = T0) => counts.map((count, i) => ({ time: start + i * MIN, count }))

describe('trendOf', () => {
  it('is rising when the count climbs by more than the minimum over the window', () => {
    // 2 people a minute: 10 over 5 minutes, more than max(2, 5 % of 105).
    expect(trendOf(series([100, 102, 104, 106, 108, 110]))).toBe('rising')
  })

  it('is falling when the count drops by more than the minimum over the window', () => {
    expect(trendOf(series([110, 108, 104, 105, 101, 100]))).toBe('falling')
  })

  it('is steady when the count wobbles around one value', () => {
    expect(trendOf(series([100, 101, 99, 100, 101, 100]))).toBe('steady')
  })

  it('is steady when a small crowd changes by fewer than 2 people over the window', () => {
    // Slope 0.26 a minute: 1.3 people over 5 minutes, though far above 5 % of the mean (1.5).
    expect(trendOf(series([1, 1, 1, 2, 2, 2]))).toBe('steady')
  })

  it('is steady when a large crowd changes by less than 5 % of its mean', () => {
    // 10 people over 5 minutes on a mean of 1005: under the 50.25 needed.
    expect(trendOf(series([1000, 1002, 1004, 1006, 1008, 1010]))).toBe('steady')
  })

  it('needs the change to exceed the minimum, not equal it', () => {
    // Exactly 2 people over exactly the window (the mean, 11, makes 5 % smaller than 2).
    expect(trendOf([{ time: T0, count: 10 }, { time: T0 + 5 * MIN, count: 12 }])).toBe('steady')
    expect(trendOf([{ time: T0, count: 10 }, { time: T0 + 5 * MIN, count: 13 }])).toBe('rising')
  })

  it('only looks at the samples within the window of the newest', () => {
    // A crowd that emptied half an hour ago and has been steady since.
    const samples = [...series([500, 400, 300], T0 - 30 * MIN), ...series([100, 100, 101, 100, 99, 100])]
    expect(trendOf(samples)).toBe('steady')
    expect(trendOf(samples, 60 * MIN)).toBe('falling')
  })

  it('does not need its samples sorted', () => {
    const samples = series([100, 102, 104, 106, 108, 110])
    expect(trendOf([samples[3]!, samples[0]!, samples[5]!, samples[1]!, samples[4]!, samples[2]!])).toBe('rising')
    // Newest first: the window still ends at the newest sample, not the last in the array.
    const emptied = [...series([500, 400, 300], T0 - 30 * MIN), ...series([100, 100, 101, 100, 99, 100])]
    expect(trendOf(emptied.reverse())).toBe('steady')
  })

  it('is steady with fewer than two samples in the window', () => {
    expect(trendOf([])).toBe('steady')
    expect(trendOf([{ time: T0, count: 500 }])).toBe('steady')
    expect(trendOf([{ time: T0 - 20 * MIN, count: 0 }, { time: T0, count: 500 }])).toBe('steady')
    expect(trendOf([{ time: T0 - MIN, count: 0 }, { time: T0, count: 500 }])).toBe('rising')
  })
})

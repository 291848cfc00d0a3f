import { describe, expect, it } from 'vitest'
import { silentSensors } from '../../../ingest/alerts/silent-sensors.js'

const NOW = Date.UTC(2024, 5, 1, 20)
/** The crowd kind's expectedIntervalS (60) in ms; with the default grace of 2, the limit is 120 s. */
const INTERVAL = 60_000

describe('silentSensors', () => {
  it('lists monitors past the limit and monitors that never reported, sorted', () => {
    const reports = new Map<string, number | undefined>([
      ['crowd-z', NOW - 10 * 60_000],
      ['crowd-fresh', NOW - 5_000],
      ['crowd-never', undefined],
      ['crowd-a', NOW - 120_001]
    ])
    expect(silentSensors(reports, NOW, INTERVAL)).toEqual(['crowd-a', 'crowd-never', 'crowd-z'])
  })

  it('treats a report exactly at the limit as not silent, and one millisecond past it as silent', () => {
    expect(silentSensors(new Map([['m', NOW - 120_000]]), NOW, INTERVAL)).toEqual([])
    expect(silentSensors(new Map([['m', NOW - 120_001]]), NOW, INTERVAL)).toEqual(['m'])
  })

  it('applies the grace factor it is given', () => {
    const reports = new Map([['m', NOW - 150_000]])
    expect(silentSensors(reports, NOW, INTERVAL)).toEqual(['m'])
    expect(silentSensors(reports, NOW, INTERVAL, 3)).toEqual([])
    expect(silentSensors(reports, NOW, INTERVAL, 1)).toEqual(['m'])
  })

  it('counts a report ahead of now (device clock skew) as fresh', () => {
    expect(silentSensors(new Map([['m', NOW + 30_000]]), NOW, INTERVAL)).toEqual([])
  })

  it('finds no silent monitors among none', () => {
    expect(silentSensors(new Map(), NOW, INTERVAL)).toEqual([])
  })

  it('refuses an interval or grace that is not positive', () => {
    expect(() => silentSensors(new Map(), NOW, 0)).toThrow(RangeError)
    expect(() => silentSensors(new Map(), NOW, INTERVAL, 0)).toThrow(RangeError)
  })
})

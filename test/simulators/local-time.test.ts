import { describe, expect, it } from 'vitest'
import { fromUtrechtTime, utrechtOffsetMs, utrechtTime } from '../../simulators/local-time.js'

describe('Utrecht local time', () => {
  it('switches to summer time on the last Sunday of March and back on the last Sunday of October', () => {
    expect(utrechtOffsetMs(Date.UTC(2025, 2, 30, 0, 59))).toBe(3_600_000)
    expect(utrechtOffsetMs(Date.UTC(2025, 2, 30, 1, 0))).toBe(7_200_000)
    expect(utrechtOffsetMs(Date.UTC(2025, 9, 26, 0, 59))).toBe(7_200_000)
    expect(utrechtOffsetMs(Date.UTC(2025, 9, 26, 1, 0))).toBe(3_600_000)
  })

  it('gives local hour and weekday', () => {
    // Saturday 7 June 2025, 14:30 CEST is 12:30 UTC.
    const t = utrechtTime(Date.UTC(2025, 5, 7, 12, 30))
    expect(t.hour).toBe(14.5)
    expect(t.weekday).toBe(6)
    expect(t.dayOfYear).toBe(157)
    // 23:30 UTC on a winter Tuesday is already Wednesday in Utrecht.
    expect(utrechtTime(Date.UTC(2025, 0, 7, 23, 30)).weekday).toBe(3)
  })

  it('turns a local date and time back into the instant', () => {
    expect(fromUtrechtTime(2025, 6, 7, 14, 30)).toBe(Date.UTC(2025, 5, 7, 12, 30))
    expect(fromUtrechtTime(2025, 1, 7, 8)).toBe(Date.UTC(2025, 0, 7, 7))
    for (let day = 1; day <= 365; day += 3) {
      const ms = fromUtrechtTime(2025, 1, day, 9, 15)
      expect(utrechtTime(ms).hour).toBe(9.25)
    }
  })
})

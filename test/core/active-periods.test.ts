import { describe, expect, it } from 'vitest'
import { isWithinActivePeriods, localWeekMinute } from '../../core/active-periods.js'

// 2026-11-30 is a Monday; the Netherlands is on UTC+1 in winter and UTC+2 in summer.
const winter = (iso: string) => Date.parse(iso)

describe('active periods', () => {
  it('reads weekday and minute in Europe/Amsterdam, summer time included', () => {
    expect(localWeekMinute(winter('2026-11-30T23:30:00Z'))).toEqual({ day: 1, minute: 30 })
    expect(localWeekMinute(Date.parse('2026-07-06T10:00:00Z'))).toEqual({ day: 0, minute: 12 * 60 })
  })

  it('accepts inside a period and refuses outside it, with [from, to)', () => {
    const market = [{ days: ['mon' as const], from: '08:00', to: '18:00' }]
    expect(isWithinActivePeriods(market, winter('2026-11-30T07:00:00Z'))).toBe(true) // 08:00 local
    expect(isWithinActivePeriods(market, winter('2026-11-30T06:59:00Z'))).toBe(false)
    expect(isWithinActivePeriods(market, winter('2026-11-30T17:00:00Z'))).toBe(false) // 18:00 local
    expect(isWithinActivePeriods(market, winter('2026-12-01T10:00:00Z'))).toBe(false) // Tuesday
  })

  it('runs past midnight into the next day', () => {
    const nights = [{ days: ['fri' as const], from: '20:00', to: '02:00' }]
    expect(isWithinActivePeriods(nights, winter('2026-12-04T20:30:00Z'))).toBe(true) // Fri 21:30
    expect(isWithinActivePeriods(nights, winter('2026-12-05T00:30:00Z'))).toBe(true) // Sat 01:30
    expect(isWithinActivePeriods(nights, winter('2026-12-05T01:30:00Z'))).toBe(false) // Sat 02:30
    expect(isWithinActivePeriods(nights, winter('2026-12-03T23:30:00Z'))).toBe(false) // Fri 00:30, Thursday's night
  })
})

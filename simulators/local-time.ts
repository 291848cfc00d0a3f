/**
 * Utrecht wall-clock time (Europe/Amsterdam) without the tz database: CET (UTC+1), and CEST
 * (UTC+2) from 01:00 UTC on the last Sunday of March to 01:00 UTC on the last Sunday of
 * October (EU Directive 2000/84/EC, article 2 and 3). Daily rhythms follow local hours.
 */
export const HOUR_MS = 3_600_000
export const DAY_MS = 86_400_000

export interface LocalTime {
  /** Hours since local midnight, fractional, [0, 24). */
  hour: number
  /** 0 Sunday ... 6 Saturday. */
  weekday: number
  /** Local calendar days since 1970-01-01; changes at local midnight. */
  day: number
  /** 0-based day of the year. */
  dayOfYear: number
}

function lastSundayAt0100Utc (year: number, month: number): number {
  const lastDay = new Date(Date.UTC(year, month + 1, 0))
  return Date.UTC(year, month, lastDay.getUTCDate() - lastDay.getUTCDay(), 1)
}

/** Offset of Utrecht local time from UTC at instant `ms`, milliseconds. */
export function utrechtOffsetMs (ms: number): number {
  const year = new Date(ms).getUTCFullYear()
  const summer = ms >= lastSundayAt0100Utc(year, 2) && ms < lastSundayAt0100Utc(year, 9)
  return summer ? 2 * HOUR_MS : HOUR_MS
}

export function utrechtTime (ms: number): LocalTime {
  const local = ms + utrechtOffsetMs(ms)
  const day = Math.floor(local / DAY_MS)
  const date = new Date(day * DAY_MS)
  return {
    hour: (local - day * DAY_MS) / HOUR_MS,
    weekday: date.getUTCDay(),
    day,
    dayOfYear: Math.floor((day * DAY_MS - Date.UTC(date.getUTCFullYear(), 0, 1)) / DAY_MS)
  }
}

/** The instant of a local Utrecht date and time (month 1-12); the repeated autumn hour resolves to summer time. */
export function fromUtrechtTime (year: number, month: number, day: number, hour = 0, minute = 0): number {
  const asUtc = Date.UTC(year, month - 1, day, hour, minute)
  const summer = asUtc - 2 * HOUR_MS
  return utrechtOffsetMs(summer) === 2 * HOUR_MS ? summer : asUtc - HOUR_MS
}

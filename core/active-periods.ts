import { WEEKDAYS, type ActivePeriod } from './sensor.js'

/** Zones are registered in the city's own time, summer time included. */
const TIME_ZONE = 'Europe/Amsterdam'
const format = new Intl.DateTimeFormat('en-GB', { timeZone: TIME_ZONE, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
const WEEKDAY_INDEX: Record<string, number> = { Mon: 0, Tue: 1, Wed: 2, Thu: 3, Fri: 4, Sat: 5, Sun: 6 }

/** Weekday (0 = Monday) and minute of the day of `timeMs` in Europe/Amsterdam. */
export function localWeekMinute (timeMs: number): { day: number, minute: number } {
  const parts = Object.fromEntries(format.formatToParts(new Date(timeMs)).map((p) => [p.type, p.value]))
  return { day: WEEKDAY_INDEX[parts.weekday ?? 'Mon'] ?? 0, minute: Number(parts.hour) * 60 + Number(parts.minute) }
}

/** True when `timeMs` falls inside one of the periods ([from, to), local time). */
export function isWithinActivePeriods (periods: readonly ActivePeriod[], timeMs: number): boolean {
  const { day, minute } = localWeekMinute(timeMs)
  const yesterday = (day + 6) % 7
  return periods.some((period) => {
    const from = toMinute(period.from)
    const to = toMinute(period.to)
    const days = period.days.map((d) => WEEKDAYS.indexOf(d))
    if (from < to) return days.includes(day) && minute >= from && minute < to
    // Past midnight: the evening part on the listed day, the early part on the day after.
    return (days.includes(day) && minute >= from) || (days.includes(yesterday) && minute < to)
  })
}

function toMinute (clock: string): number {
  const [h, m] = clock.split(':').map(Number) as [number, number]
  return h * 60 + m
}

import { WINDOW_MS, type Window } from '../../core/windows.js'

/**
 * Numbers, durations, units and times in words a resident reads, in Dutch or English. The
 * pages are bilingual (Dutch first: the city's residents; English for everyone else).
 */
export const LANGS = ['nl', 'en'] as const
export type Lang = typeof LANGS[number]

const LOCALE: Record<Lang, string> = { nl: 'nl-NL', en: 'en-GB' }

/** Register times are shown in the city's own time, not UTC. */
export const TIME_ZONE = 'Europe/Amsterdam'

export function formatNumber (n: number, lang: Lang): string {
  return new Intl.NumberFormat(LOCALE[lang], { maximumFractionDigits: 5 }).format(n)
}

const UNITS: Record<Lang, Array<[seconds: number, one: string, many: string]>> = {
  nl: [[86_400, 'dag', 'dagen'], [3_600, 'uur', 'uur'], [60, 'minuut', 'minuten'], [1, 'seconde', 'seconden']],
  en: [[86_400, 'day', 'days'], [3_600, 'hour', 'hours'], [60, 'minute', 'minutes'], [1, 'second', 'seconds']]
}

/** The largest unit that divides `seconds` exactly: 900 is "15 minuten", 90 is "90 seconden". */
export function formatDuration (seconds: number, lang: Lang): string {
  const units = UNITS[lang]
  const [size, one, many] = units.find(([size]) => seconds >= size && seconds % size === 0) ?? units.at(-1)!
  const count = seconds / size
  return `${formatNumber(count, lang)} ${count === 1 ? one : many}`
}

export function formatWindow (window: Window, lang: Lang): string {
  return formatDuration(WINDOW_MS[window] / 1000, lang)
}

export function formatDays (days: number, lang: Lang): string {
  return formatDuration(days * 86_400, lang)
}

/** Long date and minute, e.g. "30 november 2026 om 14:05". */
export function formatDateTime (ms: number, lang: Lang): string {
  return new Intl.DateTimeFormat(LOCALE[lang], { timeZone: TIME_ZONE, dateStyle: 'long', timeStyle: 'short' }).format(ms)
}

/** SenML units (RFC 8428 section 12.1) in words; an unknown unit is shown as its code. */
const UNIT_WORDS: Record<string, Record<Lang, string>> = {
  count: { nl: 'aantal', en: 'count' },
  'ug/m3': { nl: 'µg/m³ (microgram per kubieke meter)', en: 'µg/m³ (micrograms per cubic metre)' },
  Cel: { nl: '°C (graden Celsius)', en: '°C (degrees Celsius)' },
  '%RH': { nl: '% relatieve luchtvochtigheid', en: '% relative humidity' },
  '%EL': { nl: '% resterende lading', en: '% remaining charge' },
  '%': { nl: 'procent', en: 'per cent' },
  lat: { nl: 'graden noorderbreedte', en: 'degrees latitude' },
  lon: { nl: 'graden oosterlengte', en: 'degrees longitude' }
}

export function unitLabel (unit: string, lang: Lang): string {
  return UNIT_WORDS[unit]?.[lang] ?? unit
}

/** "a, b en c" / "a, b and c". */
export function formatList (items: readonly string[], lang: Lang): string {
  return new Intl.ListFormat(LOCALE[lang], { type: 'conjunction' }).format(items)
}

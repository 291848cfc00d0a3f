import type { ZoneInput } from '../core/sensor.js'
import { ringAreaM2, type Position } from './geo.js'
import { utrechtTime } from './local-time.js'
import { gaussianHash, hashString, seedOf, smoothNoise, unitHash } from './random.js'
import { senmlPack } from './senml.js'

/**
 * Crowd monitors (Druktemonitor) in the busiest public spaces between Utrecht Centraal and
 * the Neude. A count is a pure function of (zone, time, seed): a daily rhythm per kind of
 * place, events (the Vredenburg market, concerts at TivoliVredenburg), a slow wobble shared
 * by the zone and each counter's own error.
 */
export type Rhythm = 'station' | 'mall' | 'market-square' | 'terraces'

export interface CrowdZone {
  id: string
  name: string
  /** Closed linear ring, `[lon, lat]`, counter-clockwise. */
  ring: readonly Position[]
  /** People the space holds safely; alert thresholds are set against it. */
  capacity: number
  rhythm: Rhythm
  /** Share of `capacity` present at the usual daily peak. */
  peakShare: number
  /** Share of a concert audience in this zone as it arrives and as it leaves, and hours after the end the leaving crowd peaks here. */
  concert: { arrive: number, leave: number, delayH: number }
}

export const CROWD_ZONES: readonly CrowdZone[] = [
  {
    id: 'utrecht-centraal-stationshal',
    name: 'Utrecht Centraal, stationshal',
    ring: [[5.1083, 52.0891], [5.1112, 52.0890], [5.1113, 52.0897], [5.1084, 52.0898], [5.1083, 52.0891]],
    capacity: 6000,
    rhythm: 'station',
    peakShare: 0.55,
    concert: { arrive: 0.1, leave: 0.3, delayH: 0.45 }
  },
  {
    id: 'stationsplein-oost',
    name: 'Stationsplein Oost',
    ring: [[5.1114, 52.0888], [5.1127, 52.0887], [5.1131, 52.0897], [5.1117, 52.0900], [5.1114, 52.0888]],
    capacity: 3500,
    rhythm: 'station',
    peakShare: 0.45,
    concert: { arrive: 0.15, leave: 0.35, delayH: 0.35 }
  },
  {
    id: 'jaarbeursplein',
    name: 'Jaarbeursplein (Stationsplein West)',
    ring: [[5.1051, 52.0881], [5.1074, 52.0880], [5.1076, 52.0891], [5.1053, 52.0892], [5.1051, 52.0881]],
    capacity: 4000,
    rhythm: 'station',
    peakShare: 0.3,
    concert: { arrive: 0.02, leave: 0.05, delayH: 0.5 }
  },
  {
    id: 'hoog-catharijne-godebaldkwartier',
    name: 'Hoog Catharijne, Godebaldkwartier',
    ring: [[5.1118, 52.0902], [5.1130, 52.0899], [5.1140, 52.0913], [5.1133, 52.0917], [5.1124, 52.0912], [5.1118, 52.0902]],
    capacity: 3000,
    rhythm: 'mall',
    peakShare: 0.6,
    concert: { arrive: 0.1, leave: 0.2, delayH: 0.25 }
  },
  {
    id: 'vredenburg',
    name: 'Vredenburg (plein en TivoliVredenburg)',
    ring: [[5.1139, 52.0920], [5.1157, 52.0918], [5.1162, 52.0928], [5.1145, 52.0932], [5.1139, 52.0920]],
    capacity: 4000,
    rhythm: 'market-square',
    peakShare: 0.45,
    concert: { arrive: 0.35, leave: 0.7, delayH: 0.1 }
  },
  {
    id: 'neude',
    name: 'Neude',
    ring: [[5.1176, 52.0929], [5.1191, 52.0927], [5.1197, 52.0936], [5.1183, 52.0941], [5.1176, 52.0929]],
    capacity: 2500,
    rhythm: 'terraces',
    peakShare: 0.5,
    concert: { arrive: 0.05, leave: 0.1, delayH: 0.3 }
  }
]

/** The body of `POST /v1/admin/zones` for a zone. */
export function zoneInput (zone: CrowdZone): ZoneInput {
  return {
    id: zone.id,
    name: zone.name,
    geometry: { type: 'Polygon', coordinates: [zone.ring.map(([lon, lat]) => [lon, lat])] },
    areaM2: Math.round(ringAreaM2(zone.ring)),
    capacity: zone.capacity
  }
}

const bump = (h: number, at: number, widthH: number): number => Math.exp(-0.5 * ((h - at) / widthH) ** 2)
const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x))
/** About 1 from `from` to `to` hours, edges softened over about `edgeH` hours (doors opening, people trickling in). */
const open = (h: number, from: number, to: number, edgeH = 0.25): number => sigmoid((h - from) / edgeH) * sigmoid((to - h) / edgeH)

/**
 * Share of a zone's usual peak present `h` hours after the local midnight that starts a day
 * with this weekday (0 Sunday). `h` runs past 24, so an evening can spill into the night.
 */
function dayShape (rhythm: Rhythm, h: number, weekday: number): number {
  const workday = weekday >= 1 && weekday <= 5
  const saturday = weekday === 6
  switch (rhythm) {
    case 'station': {
      // Train commuters peak 07:30-08:45 and 16:30-18:30 on workdays.
      if (workday) return 0.75 * bump(h, 8.1, 0.65) + 0.6 * bump(h, 17.4, 0.9) + 0.25 * open(h, 6, 21, 0.8) + 0.08 * open(h, 21, 25, 0.5) + (weekday === 5 ? 0.1 * bump(h, 19, 2) : 0)
      if (saturday) return 0.4 * open(h, 8.5, 20, 1.2) + 0.15 * bump(h, 13, 2.5) + 0.12 * open(h, 20, 26, 0.6)
      return 0.3 * open(h, 9.5, 21, 1.5) + 0.15 * bump(h, 17.5, 1.5) + 0.05 * open(h, 21, 25, 0.5)
    }
    case 'mall': {
      // Shops 10:00-20:00, Thursday to 21:00 (koopavond), Sunday 12:00-18:00; also the walk from station to centre.
      const commute = workday ? 0.12 * (bump(h, 8.1, 0.65) + bump(h, 17.4, 0.9)) : 0
      if (workday) return commute + 0.4 * open(h, 10, weekday === 4 ? 21 : 20) + 0.15 * bump(h, 12.8, 1)
      if (saturday) return 0.95 * open(h, 10, 20) + 0.15 * bump(h, 14.5, 1.8)
      return 0.5 * open(h, 12, 18)
    }
    case 'market-square': {
      // Vredenburg market: Wednesday and Saturday, 08:00-17:00.
      const market = weekday === 3 ? 0.4 : saturday ? 0.55 : 0
      return 0.25 * open(h, 9, 21, 0.8) + 0.08 * open(h, 21, 25, 0.5) + market * open(h, 8.5, 17, 0.4) + (saturday ? 0.2 * bump(h, 14, 2.5) : 0)
    }
    case 'terraces': {
      // Lunch and evening terraces; Friday and Saturday nights run past 02:00.
      const late = weekday === 5 || saturday ? 0.65 : weekday === 4 ? 0.3 : 0.15
      return 0.25 * open(h, 9, 18, 0.8) + 0.15 * bump(h, 12.8, 1) + 0.3 * bump(h, 20.5, 1.5) + late * bump(h, 23, 1.6) + (saturday ? 0.2 * open(h, 11, 18) : 0)
    }
  }
}

/** Share of the peak present even in the dead of night (night trains, cleaners, security). */
const NIGHT_FLOOR = 0.01

/** Share of a zone's usual daily peak present at `ms`, without events or noise; about 1 at the peak. */
export function rhythmShare (rhythm: Rhythm, ms: number): number {
  const t = utrechtTime(ms)
  return NIGHT_FLOOR + dayShape(rhythm, t.hour, t.weekday) + dayShape(rhythm, t.hour + 24, (t.weekday + 6) % 7)
}

export interface Concert {
  /** Local day number (days since 1970-01-01). */
  day: number
  /** Audience. */
  size: number
  /** Local hours after midnight the show ends. */
  endHour: number
}

/** TivoliVredenburg's Grote Zaal holds about 2,000; something plays most nights, nearly always on Friday and Saturday. */
export function concertOn (day: number, seed: number): Concert | null {
  const weekday = (day + 4) % 7 // 1970-01-01 was a Thursday
  const chance = weekday === 5 || weekday === 6 ? 0.85 : weekday === 4 ? 0.6 : 0.35
  if (unitHash(seed, day, 0xc0) >= chance) return null
  return { day, size: Math.round(600 + 1400 * unitHash(seed, day, 0xc1)), endHour: 22.5 + 0.75 * unitHash(seed, day, 0xc2) }
}

/** Concert-goers in the zone at `ms`: arriving about three hours before the end, leaving in a short wave after. */
export function concertCrowd (zone: CrowdZone, ms: number, seed: number): number {
  const t = utrechtTime(ms)
  let people = 0
  for (const day of [t.day - 1, t.day]) {
    const concert = concertOn(day, seed)
    if (concert === null) continue
    const h = t.hour + (t.day - day) * 24
    people += concert.size * zone.concert.arrive * bump(h, concert.endHour - 3.3, 0.45)
    people += concert.size * zone.concert.leave * bump(h, concert.endHour + zone.concert.delayH, 0.22)
  }
  return people
}

/** Expected people in the zone at `ms` (rhythm plus events, before noise). */
export function expectedCount (zone: CrowdZone, ms: number, seed: number): number {
  return zone.capacity * zone.peakShare * rhythmShare(zone.rhythm, ms) + concertCrowd(zone, ms, seed)
}

const WOBBLE_PERIOD_MS = 20 * 60_000

/**
 * What one counter in the zone reports at `ms`: the expected count with a wobble of about
 * 8 % over twenty minutes that every counter in the zone sees, and this counter's own error
 * (sd about 3 % plus one person, independent per second). A non-negative integer.
 */
export function peopleCount (zone: CrowdZone, ms: number, seed: number, sensorSeed: number): number {
  const mean = expectedCount(zone, ms, seed)
  const wobble = 1 + 0.08 * smoothNoise(seedOf(seed, hashString(zone.id)), ms / WOBBLE_PERIOD_MS)
  const error = gaussianHash(sensorSeed, Math.floor(ms / 1000)) * (1 + 0.03 * mean)
  return Math.max(0, Math.round(mean * wobble + error))
}

/** The SenML pack a crowd monitor publishes. */
export function crowdPack (sensorId: string, count: number, timeMs: number): string {
  return senmlPack(sensorId, timeMs, [{ n: 'peopleCount', u: 'count', v: count }])
}

import { distanceToPolylineM, offsetM, pointAlong, polylineLengthM, type LatLon } from './geo.js'
import { DAY_MS, utrechtTime } from './local-time.js'
import { round1, round6 } from './round.js'
import { gaussianHash, smoothNoise, unitHash } from './random.js'
import { ambientAt } from './weather.js'

/**
 * Snuffelfietsen: air-quality sensors on citizens' bicycles. Each bike rides a few fixed
 * routes through Utrecht at cycling speed, more in the rush hours than at night; particulate
 * matter rises near busy roads, in the evening wood-smoke season and in damp air (optical
 * sensors over-read). Everything is a pure function of (seed, time).
 */
export interface Route {
  id: string
  name: string
  points: readonly LatLon[]
}

const p = (lat: number, lon: number): LatLon => ({ lat, lon })

export const ROUTES: readonly Route[] = [
  {
    id: 'lombok-wittevrouwen',
    name: 'Lombok - Centraal - Neude - Wittevrouwen',
    points: [p(52.0937, 5.0925), p(52.0928, 5.0975), p(52.0922, 5.1005), p(52.0915, 5.1040), p(52.0912, 5.1075), p(52.0921, 5.1122), p(52.0926, 5.1150), p(52.0932, 5.1180), p(52.0940, 5.1215), p(52.0950, 5.1255), p(52.0960, 5.1290), p(52.0980, 5.1330)]
  },
  {
    id: 'kanaleneiland-centrum',
    name: 'Kanaleneiland - Croeselaan - Moreelsepark - Domplein',
    points: [p(52.0700, 5.0965), p(52.0722, 5.1005), p(52.0770, 5.1035), p(52.0820, 5.1055), p(52.0855, 5.1085), p(52.0870, 5.1100), p(52.0875, 5.1135), p(52.0887, 5.1170), p(52.0893, 5.1195), p(52.0909, 5.1215)]
  },
  {
    id: 'science-park-centrum',
    name: 'Utrecht Science Park - Galgenwaard - Lucasbolwerk - Neude',
    points: [p(52.0856, 5.1760), p(52.0862, 5.1690), p(52.0872, 5.1580), p(52.0878, 5.1460), p(52.0874, 5.1360), p(52.0895, 5.1312), p(52.0915, 5.1270), p(52.0922, 5.1235), p(52.0933, 5.1190)]
  },
  {
    id: 'leidsche-rijn-centraal',
    name: 'Leidsche Rijn - Vleutenseweg - Westplein - Smakkelaarsveld',
    points: [p(52.1005, 5.0605), p(52.0985, 5.0710), p(52.0960, 5.0830), p(52.0945, 5.0900), p(52.0928, 5.0975), p(52.0915, 5.1040), p(52.0912, 5.1075), p(52.0915, 5.1115)]
  }
]

const ROUTE_LENGTHS_M = ROUTES.map((route) => polylineLengthM(route.points))
const REVERSED = ROUTES.map((route) => [...route.points].reverse())

/** Roads whose traffic shows in the particulate readings. */
export const BUSY_ROADS: readonly Route[] = [
  { id: 'catharijnesingel', name: 'Catharijnesingel', points: [p(52.0938, 5.1118), p(52.0915, 5.1125), p(52.0890, 5.1132), p(52.0872, 5.1148), p(52.0850, 5.1180)] },
  { id: 'graadt-van-roggenweg', name: 'Graadt van Roggenweg', points: [p(52.0918, 5.1048), p(52.0905, 5.1022), p(52.0890, 5.1000), p(52.0878, 5.0975)] },
  { id: 'waterlinieweg', name: 'Waterlinieweg', points: [p(52.1010, 5.1395), p(52.0930, 5.1425), p(52.0870, 5.1445), p(52.0800, 5.1440)] }
]

/** Traffic pollution falls off within about 100-150 m of a busy road. */
const ROAD_DECAY_M = 120

/** 1 on a busy road, falling towards 0 away from every busy road. */
export function roadExposure (at: LatLon): number {
  const nearest = Math.min(...BUSY_ROADS.map((road) => distanceToPolylineM(at, road.points)))
  return Math.exp(-nearest / ROAD_DECAY_M)
}

const bump = (h: number, at: number, widthH: number): number => Math.exp(-0.5 * ((h - at) / widthH) ** 2)

export interface AirQuality {
  /** ug/m3 */
  pm1: number
  /** ug/m3 */
  pm25: number
  /** ug/m3 */
  pm10: number
}

/**
 * Particulate matter at `at` and `ms`. Background PM2.5 of about 5-13 ug/m3 with pollution
 * episodes over days, wood smoke on cold evenings, up to +14 ug/m3 on a busy road in the
 * rush hour; the sensor's noise depends on time only, so two places at one moment compare
 * fairly. Humid air (above 80 %RH) makes optical sensors over-read.
 */
export function airQuality (at: LatLon, ms: number, citySeed: number, relativeHumidity: number): AirQuality {
  const t = utrechtTime(ms)
  const season = Math.cos((2 * Math.PI * (t.dayOfYear - 15)) / 365.25)
  const episode = smoothNoise(citySeed ^ 0x9a, ms / DAY_MS / 2)
  const woodSmoke = 4 * Math.max(0, season) * bump(t.hour, 20.5, 2.5)
  const background = Math.max(2, 9 + 3 * season + 4 * episode + woodSmoke)
  const traffic = 0.4 + 0.6 * Math.max(bump(t.hour, 8, 1), bump(t.hour, 17.3, 1.2))
  const road = 14 * roadExposure(at) * traffic
  const noise = 0.8 * gaussianHash(citySeed, Math.floor(ms / 1000), 0x9b)
  const humid = 1 + 0.6 * Math.max(0, (relativeHumidity - 80) / 20) ** 2
  const pm25 = Math.max(0.5, (background + road + noise) * humid)
  return {
    pm1: round1(pm25 * 0.7),
    pm25: round1(pm25),
    // Coarse dust whirled up by traffic adds to PM10 only.
    pm10: round1(pm25 * 1.45 + 6 * road / 14)
  }
}

export interface Ride {
  /** The device's ride counter: one more than the ride before. */
  trip: number
  routeIndex: number
  reversed: boolean
  startMs: number
  endMs: number
  /** m/s */
  speedMps: number
}

const SLOT_MS = 30 * 60_000
const SLOTS_PER_DAY = DAY_MS / SLOT_MS

/** Relative chance that a half hour holds a ride: commutes on workdays, a flatter day at the weekend, little at night. */
function rideActivity (hour: number, weekday: number): number {
  const night = hour < 6 || hour >= 23.5 ? 0.03 : 0.25
  if (weekday === 0 || weekday === 6) return night + 0.5 * bump(hour, 14, 3)
  return night + 1.2 * bump(hour, 8, 0.8) + 1.0 * bump(hour, 17.3, 1) + 0.3 * bump(hour, 12.5, 1.5)
}

/** Rides a bike makes per day: 6-14, fixed per bike so the counter can be computed directly. */
export function ridesPerDay (bikeSeed: number): number {
  return 6 + Math.floor(unitHash(bikeSeed, 0xb1) * 9)
}

const dayCache = new Map<string, Ride[]>()

/**
 * The rides of one bike on one UTC day, in order. The day's half hours are drawn without
 * replacement, weighted by activity (Efraimidis-Spirakis keys u^(1/w)); each ride fits in its
 * half hour, so rides never overlap or cross into the next day.
 */
export function ridesOnDay (bikeSeed: number, day: number): Ride[] {
  const key = `${bikeSeed}:${day}`
  const cached = dayCache.get(key)
  if (cached !== undefined) return cached
  const perDay = ridesPerDay(bikeSeed)
  const slots = Array.from({ length: SLOTS_PER_DAY }, (_, slot) => {
    const local = utrechtTime(day * DAY_MS + (slot + 0.5) * SLOT_MS)
    const weight = rideActivity(local.hour, local.weekday)
    return { slot, key: unitHash(bikeSeed, day, slot, 0xb2) ** (1 / weight) }
  })
  const chosen = slots.sort((a, b) => b.key - a.key).slice(0, perDay).map((s) => s.slot).sort((a, b) => a - b)
  const rides = chosen.map((slot, rank) => {
    const routeIndex = Math.floor(unitHash(bikeSeed, day, slot, 0xb3) * ROUTES.length)
    const lengthM = ROUTE_LENGTHS_M[routeIndex]!
    // Everyday cycling, 15-21 km/h; never so slow that the ride overruns its half hour.
    const speedMps = Math.max(4.2 + 1.6 * unitHash(bikeSeed, day, slot, 0xb4), lengthM / ((SLOT_MS - 120_000) / 1000))
    const durationMs = (lengthM / speedMps) * 1000
    const startMs = day * DAY_MS + slot * SLOT_MS + unitHash(bikeSeed, day, slot, 0xb5) * (SLOT_MS - durationMs - 60_000)
    return {
      trip: day * perDay + rank,
      routeIndex,
      reversed: unitHash(bikeSeed, day, slot, 0xb6) < 0.5,
      startMs,
      endMs: startMs + durationMs,
      speedMps
    }
  })
  if (dayCache.size > 10_000) dayCache.clear()
  dayCache.set(key, rides)
  return rides
}

/** The ride under way at `ms`, or null when the bike is parked. */
export function rideAt (bikeSeed: number, ms: number): Ride | null {
  return ridesOnDay(bikeSeed, Math.floor(ms / DAY_MS)).find((ride) => ms >= ride.startMs && ms < ride.endMs) ?? null
}

/** GPS error of a phone-grade receiver, sd per axis, metres. */
const GPS_SD_M = 3

/** Where the bike is at `ms` during `ride`: along the route, give or take traffic lights, plus GPS error. */
export function positionOnRide (ride: Ride, ms: number, bikeSeed: number): LatLon {
  const elapsedS = (ms - ride.startMs) / 1000
  const points = ride.reversed ? REVERSED[ride.routeIndex]! : ROUTES[ride.routeIndex]!.points
  const lengthM = ROUTE_LENGTHS_M[ride.routeIndex]!
  const along = Math.min(lengthM, Math.max(0, elapsedS * ride.speedMps + 12 * smoothNoise(bikeSeed ^ 0x5b, elapsedS / 30)))
  const second = Math.floor(ms / 1000)
  return offsetM(pointAlong(points, along), GPS_SD_M * gaussianHash(bikeSeed, second, 0x61), GPS_SD_M * gaussianHash(bikeSeed, second, 0x62))
}

/** One snuffelfiets reading in the kind's field names; units as in the kind definition. */
export interface BikeReading extends AirQuality {
  /** Cel */
  temperature: number
  /** %RH */
  relativeHumidity: number
  lat: number
  lon: number
  trip: number
}

/** The bike's reading at `ms`, or null while it is parked (a snuffelfiets only reports on a ride). */
export function bikeReading (ms: number, citySeed: number, bikeSeed: number): BikeReading | null {
  const ride = rideAt(bikeSeed, ms)
  if (ride === null) return null
  const at = positionOnRide(ride, ms, bikeSeed)
  const air = ambientAt(ms, citySeed)
  // The sensor box sits in the sun and wind: a little warmer, and its own noise.
  const temperature = air.temperature + 0.4 + 0.2 * gaussianHash(bikeSeed, Math.floor(ms / 1000), 0x71)
  return {
    ...airQuality(at, ms, citySeed, air.relativeHumidity),
    temperature: round1(temperature),
    relativeHumidity: round1(air.relativeHumidity),
    lat: round6(at.lat),
    lon: round6(at.lon),
    trip: ride.trip
  }
}

/** The flat JSON object a snuffelfiets publishes on its `json` channel, time in RFC 3339. */
export function bikeMessage (reading: BikeReading, timeMs: number): string {
  return JSON.stringify({ time: new Date(timeMs).toISOString(), ...reading })
}

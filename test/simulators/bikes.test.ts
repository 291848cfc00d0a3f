import { describe, expect, it } from 'vitest'
import { BUSY_ROADS, ROUTES, airQuality, bikeMessage, bikeReading, rideAt, ridesOnDay, roadExposure } from '../../simulators/bikes.js'
import { distanceM, insideUtrecht, polylineLengthM, type LatLon } from '../../simulators/geo.js'
import { DAY_MS, fromUtrechtTime, utrechtTime } from '../../simulators/local-time.js'
import { payloadErrors, undeclaredKeys } from './kind-schemas.js'

const CITY = 1
const BIKE = 4242
const day = Math.floor(fromUtrechtTime(2025, 6, 3, 12) / DAY_MS) // a Tuesday

describe('routes', () => {
  it('run through Utrecht and fit a half-hour ride', () => {
    for (const route of ROUTES) {
      for (const point of route.points) expect(insideUtrecht(point)).toBe(true)
      const length = polylineLengthM(route.points)
      expect(length).toBeGreaterThan(1_500)
      expect(length).toBeLessThan(6_500)
    }
  })
})

describe('rides', () => {
  it('stay within Utrecht at a cycling speed, fix after fix', () => {
    for (const ride of ridesOnDay(BIKE, day)) {
      const fixes: LatLon[] = []
      for (let t = ride.startMs; t < ride.endMs; t += 10_000) {
        const r = bikeReading(t, CITY, BIKE)!
        expect(r).not.toBeNull()
        expect(insideUtrecht(r)).toBe(true)
        fixes.push(r)
      }
      // Ten seconds apart: never faster than a racing cyclist, GPS error included (m/s).
      for (let i = 1; i < fixes.length; i++) expect(distanceM(fixes[i - 1]!, fixes[i]!) / 10).toBeLessThan(12)
      // Over a whole ride: everyday cycling, 13-25 km/h.
      let path = 0
      for (let i = 6; i < fixes.length; i += 6) path += distanceM(fixes[i - 6]!, fixes[i]!)
      const speed = path / (Math.floor((fixes.length - 1) / 6) * 60)
      expect(speed).toBeGreaterThan(3.5)
      expect(speed).toBeLessThan(7)
    }
  })

  it('count up by one from ride to ride, never overlap, and hold the counter during a ride', () => {
    const rides = [day, day + 1, day + 2].flatMap((d) => ridesOnDay(BIKE, d))
    expect(rides.length).toBeGreaterThanOrEqual(18)
    for (let i = 1; i < rides.length; i++) {
      expect(rides[i]!.trip).toBe(rides[i - 1]!.trip + 1)
      expect(rides[i]!.startMs).toBeGreaterThanOrEqual(rides[i - 1]!.endMs)
    }
    const ride = rides[3]!
    expect(bikeReading(ride.startMs + 1_000, CITY, BIKE)!.trip).toBe(ride.trip)
    expect(bikeReading(ride.endMs - 1_000, CITY, BIKE)!.trip).toBe(ride.trip)
  })

  it('report nothing while the bike is parked', () => {
    const rides = ridesOnDay(BIKE, day)
    const parked = rides[0]!.endMs + 1_000
    expect(rideAt(BIKE, parked)).toBeNull()
    expect(bikeReading(parked, CITY, BIKE)).toBeNull()
  })

  it('start more often in the rush hours than at night', () => {
    const starts = { rush: 0, night: 0 }
    for (let bike = 1; bike <= 20; bike++) {
      for (let d = day; d < day + 28; d++) {
        for (const ride of ridesOnDay(bike, d)) {
          const { hour, weekday } = utrechtTime(ride.startMs)
          if (weekday === 0 || weekday === 6) continue
          if (hour >= 7 && hour < 9) starts.rush++
          if (hour >= 1 && hour < 5) starts.night++
        }
      }
    }
    expect(starts.rush).toBeGreaterThan(5 * starts.night)
  })
})

describe('air quality', () => {
  const onCatharijnesingel = BUSY_ROADS.find((r) => r.id === 'catharijnesingel')!.points[2]!
  const onGraadtVanRoggenweg = BUSY_ROADS.find((r) => r.id === 'graadt-van-roggenweg')!.points[1]!
  const lombokWest = ROUTES[0]!.points[0]!
  const kanaleneiland = ROUTES[1]!.points[0]!

  it('is worse on busy roads than away from them, at any hour', () => {
    expect(roadExposure(onCatharijnesingel)).toBeGreaterThan(0.9)
    expect(roadExposure(lombokWest)).toBeLessThan(0.1)
    for (let ms = fromUtrechtTime(2025, 1, 6); ms < fromUtrechtTime(2025, 1, 13); ms += 3_600_000 + 17_000) {
      for (const near of [onCatharijnesingel, onGraadtVanRoggenweg]) {
        for (const far of [lombokWest, kanaleneiland]) {
          const a = airQuality(near, ms, CITY, 70)
          const b = airQuality(far, ms, CITY, 70)
          expect(a.pm25).toBeGreaterThan(b.pm25)
          expect(a.pm10).toBeGreaterThan(b.pm10)
        }
      }
    }
  })

  it('keeps PM1 <= PM2.5 <= PM10 and reads higher in damp air', () => {
    const ms = fromUtrechtTime(2025, 11, 4, 8)
    const dry = airQuality(onCatharijnesingel, ms, CITY, 60)
    const damp = airQuality(onCatharijnesingel, ms, CITY, 97)
    expect(dry.pm1).toBeLessThanOrEqual(dry.pm25)
    expect(dry.pm25).toBeLessThanOrEqual(dry.pm10)
    expect(damp.pm25).toBeGreaterThan(dry.pm25)
  })
})

describe('bikeMessage', () => {
  it('holds only declared fields, within the snuffelfiets schema, and an RFC 3339 time', () => {
    for (const d of [day, day + 150]) {
      for (const ride of ridesOnDay(BIKE, d)) {
        for (let t = ride.startMs; t < ride.endMs; t += 45_000) {
          const timeMs = Date.UTC(2025, 5, 3, 10, 0, 0, 250)
          const { time, ...reading } = JSON.parse(bikeMessage(bikeReading(t, CITY, BIKE)!, timeMs)) as Record<string, unknown>
          expect(time).toBe('2025-06-03T10:00:00.250Z')
          expect(undeclaredKeys('snuffelfiets', reading)).toEqual([])
          expect(Object.keys(reading).sort()).toEqual(['lat', 'lon', 'pm1', 'pm10', 'pm25', 'relativeHumidity', 'temperature', 'trip'])
          expect(payloadErrors('snuffelfiets', reading)).toEqual([])
        }
      }
    }
  })
})

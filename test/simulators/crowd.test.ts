import { describe, expect, it } from 'vitest'
import { zoneInputSchema } from '../../core/sensor.js'
import { CROWD_ZONES, concertOn, crowdPack, expectedCount, peopleCount, zoneInput, type CrowdZone } from '../../simulators/crowd.js'
import { insideUtrecht, ringAreaM2 } from '../../simulators/geo.js'
import { DAY_MS, HOUR_MS, fromUtrechtTime, utrechtOffsetMs, utrechtTime } from '../../simulators/local-time.js'
import { payloadErrors, senmlReading, undeclaredKeys } from './kind-schemas.js'

const SEED = 1
const zone = (id: string): CrowdZone => CROWD_ZONES.find((z) => z.id === id)!
// Monday 2 June 2025 to Sunday 8 June 2025, summer time.
const at = (day: number, hour: number, minute = 0): number => fromUtrechtTime(2025, 6, day, hour, minute)

describe('crowd zones', () => {
  it('are small closed rings in central Utrecht that the zone API accepts', () => {
    for (const z of CROWD_ZONES) {
      const ring = z.ring
      expect(ring.length).toBeGreaterThanOrEqual(4)
      expect(ring[0]).toEqual(ring.at(-1))
      for (const [lon, lat] of ring) expect(insideUtrecht({ lat, lon })).toBe(true)
      const area = ringAreaM2(ring)
      expect(area).toBeGreaterThan(2_000)
      expect(area).toBeLessThan(40_000)
      expect(zoneInputSchema.safeParse(zoneInput(z)).success).toBe(true)
    }
    expect(new Set(CROWD_ZONES.map((z) => z.id)).size).toBe(CROWD_ZONES.length)
  })
})

describe('crowd counts', () => {
  it('are low at night and peak with the workday commute at the station', () => {
    const hall = zone('utrecht-centraal-stationshal')
    for (let day = 2; day <= 6; day++) {
      const night = peopleCount(hall, at(day, 3, 30), SEED, 7)
      const morning = peopleCount(hall, at(day, 8, 10), SEED, 7)
      const evening = peopleCount(hall, at(day, 17, 25), SEED, 7)
      const midday = peopleCount(hall, at(day, 11, 0), SEED, 7)
      expect(night * 10).toBeLessThan(morning)
      expect(night * 10).toBeLessThan(evening)
      expect(morning).toBeGreaterThan(2 * midday)
      expect(evening).toBeGreaterThan(1.5 * midday)
    }
  })

  it('are lower at 04:00 than at the busiest hour of the day in every zone', () => {
    for (const z of CROWD_ZONES) {
      for (let day = 2; day <= 8; day++) {
        const busiest = Math.max(...Array.from({ length: 48 }, (_, h) => expectedCount(z, at(day, 0) + h * HOUR_MS / 2, SEED)))
        expect(expectedCount(z, at(day, 4), SEED)).toBeLessThan(busiest / 4)
      }
    }
  })

  it('fill the shopping mall on Saturday afternoon more than on a Tuesday', () => {
    const mall = zone('hoog-catharijne-godebaldkwartier')
    expect(expectedCount(mall, at(7, 14, 30), SEED)).toBeGreaterThan(1.5 * expectedCount(mall, at(3, 14, 30), SEED))
  })

  it('swell on Vredenburg when a concert at TivoliVredenburg lets out', () => {
    const vredenburg = zone('vredenburg')
    const days = Array.from({ length: 60 }, (_, i) => utrechtTime(at(2, 12)).day + i)
    const withConcert = days.find((d) => concertOn(d, SEED) !== null)!
    const without = days.find((d) => concertOn(d, SEED) === null && (d - withConcert) % 7 === 0)!
    expect(withConcert).toBeDefined()
    expect(without).toBeDefined()
    const concert = concertOn(withConcert, SEED)!
    // Local midnight of a local day number (DST switches at 01:00 UTC, after it).
    const when = (day: number): number => day * DAY_MS - utrechtOffsetMs(day * DAY_MS) + (concert.endHour + 0.1) * HOUR_MS
    expect(expectedCount(vredenburg, when(withConcert), SEED) - expectedCount(vredenburg, when(without), SEED)).toBeGreaterThan(0.3 * concert.size)
  })

  it('are non-negative integers, every zone, every seven minutes for a week', () => {
    for (const z of CROWD_ZONES) {
      for (let ms = at(2, 0); ms < at(9, 0); ms += 7 * 60_000) {
        for (const sensorSeed of [1, 2, 3]) {
          const n = peopleCount(z, ms, SEED, sensorSeed)
          expect(Number.isInteger(n)).toBe(true)
          expect(n).toBeGreaterThanOrEqual(0)
        }
      }
    }
  })

  it('are a function of zone, time and seed: replayable, and different per counter', () => {
    const neude = zone('neude')
    const times = Array.from({ length: 20 }, (_, i) => at(7, 12) + i * 61_000)
    expect(times.map((t) => peopleCount(neude, t, SEED, 5))).toEqual(times.map((t) => peopleCount(neude, t, SEED, 5)))
    expect(times.map((t) => peopleCount(neude, t, SEED, 5))).not.toEqual(times.map((t) => peopleCount(neude, t, SEED, 6)))
  })
})

describe('crowdPack', () => {
  it('is a SenML pack of declared fields in declared units that the crowd schema accepts', () => {
    const timeMs = Date.UTC(2025, 5, 7, 12, 0, 0, 123)
    const { timeMs: bt, reading } = senmlReading('crowd', 'sim-crowd-1', crowdPack('sim-crowd-1', 42, timeMs))
    expect(bt).toBeCloseTo(timeMs, 3)
    expect(reading).toEqual({ peopleCount: 42 })
    expect(undeclaredKeys('crowd', reading)).toEqual([])
    expect(payloadErrors('crowd', reading)).toEqual([])
  })
})

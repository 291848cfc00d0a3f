import { describe, expect, it } from 'vitest'
import { BIN_SITES, binPack, binPlacement, binReading, collectionThreshold, fillingLevelAt } from '../../simulators/bins.js'
import { distanceM, insideUtrecht } from '../../simulators/geo.js'
import { DAY_MS, HOUR_MS, fromUtrechtTime } from '../../simulators/local-time.js'
import { payloadErrors, senmlReading, undeclaredKeys } from './kind-schemas.js'

const CITY = 1
const start = fromUtrechtTime(2025, 3, 3) // a Monday

describe('filling level', () => {
  it('rises, and is emptied when it nears full', () => {
    for (const bin of [11, 12, 13, 14, 15]) {
      const threshold = collectionThreshold(bin)
      expect(threshold).toBeGreaterThanOrEqual(80)
      let emptied = 0
      let previous = fillingLevelAt(bin, start)
      for (let ms = start + HOUR_MS; ms < start + 21 * DAY_MS; ms += HOUR_MS) {
        const level = fillingLevelAt(bin, ms)
        expect(level).toBeGreaterThanOrEqual(0)
        expect(level).toBeLessThan(threshold)
        if (level < previous) {
          // Only a collection lowers the level, and only from near full.
          emptied++
          expect(previous).toBeGreaterThan(threshold - 5)
          expect(level).toBeLessThan(10)
        }
        previous = level
      }
      expect(emptied).toBeGreaterThanOrEqual(2)
    }
  })

  it('fills faster on a Saturday than on a Sunday', () => {
    const added = (bin: number, from: number): number => {
      let total = 0
      for (let ms = from; ms < from + DAY_MS; ms += HOUR_MS) {
        const delta = fillingLevelAt(bin, ms + HOUR_MS) - fillingLevelAt(bin, ms)
        if (delta > 0) total += delta
      }
      return total
    }
    const saturday = fromUtrechtTime(2025, 3, 8)
    const sunday = fromUtrechtTime(2025, 3, 9)
    for (const bin of [21, 22, 23]) expect(added(bin, saturday)).toBeGreaterThan(1.5 * added(bin, sunday))
  })
})

describe('binReading', () => {
  it('stays within 0-100 %, drains the battery slowly, and fits the wastebin schema', () => {
    for (const bin of [31, 32, 33]) {
      let previous = binReading(start, CITY, bin, false).battery
      for (let ms = start; ms < start + 120 * DAY_MS; ms += 6 * HOUR_MS + 60_000) {
        const reading = binReading(ms, CITY, bin, bin % 2 === 0)
        expect(reading.fillingLevel).toBeGreaterThanOrEqual(0)
        expect(reading.fillingLevel).toBeLessThanOrEqual(100)
        // Rounded to 0.1 %EL; four months hold no battery swap for these bins.
        expect(reading.battery).toBeLessThanOrEqual(previous)
        expect(payloadErrors('wastebin', { ...reading })).toEqual([])
        previous = reading.battery
      }
      expect(previous).toBeLessThan(binReading(start, CITY, bin, false).battery)
    }
  })

  it('publishes a SenML pack of the declared fields in their declared units', () => {
    const reading = binReading(start + 5 * HOUR_MS, CITY, 7, true)
    const { reading: flat } = senmlReading('wastebin', 'sim-bin-7', binPack('sim-bin-7', reading, Date.now()))
    expect(flat).toEqual(reading)
    expect(undeclaredKeys('wastebin', flat)).toEqual([])
    expect(payloadErrors('wastebin', flat)).toEqual([])
  })
})

describe('binPlacement', () => {
  it('puts the first bins on the named sites and the next ones close by', () => {
    expect(binPlacement(0, 1).location).toEqual({ lat: BIN_SITES[0]!.lat, lon: BIN_SITES[0]!.lon })
    const extra = binPlacement(BIN_SITES.length, 99)
    const distance = distanceM(extra.location, BIN_SITES[0]!)
    expect(distance).toBeGreaterThan(10)
    expect(distance).toBeLessThan(45)
    expect(insideUtrecht(extra.location)).toBe(true)
    expect(extra.name).not.toBe(BIN_SITES[0]!.name)
  })
})

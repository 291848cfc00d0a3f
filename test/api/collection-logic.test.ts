import { describe, expect, it } from 'vitest'
import { haversineM } from '../../core/geo.js'
import { buildCollectionList } from '../../api/collection/build-collection-list.js'
import { nearestNeighbourRoute } from '../../api/collection/nearest-neighbour-route.js'
import { predictFull, type LevelPoint } from '../../api/collection/predict-full.js'

/**
 * The collection list's pure logic: fill prediction per bin and the nearest-neighbour round.
 * Distances are checked against the ingest's own haversine and, on a meridian, against
 * R * dphi, so neither check leans on the code under test.
 */
const H = 3_600_000
const NOW = Date.UTC(2026, 10, 30, 12, 0, 0)
/** Metres per degree of latitude along a meridian on the IUGG mean sphere. */
const M_PER_DEG = 6_371_008.8 * Math.PI / 180

/** Readings one hour apart ending at `end`, oldest first. */
function hourly (values: number[], end = NOW): LevelPoint[] {
  return values.map((value, i) => ({ time: end - (values.length - 1 - i) * H, value }))
}

describe('predictFull', () => {
  it('gives the rate in %/h exactly and meets the threshold from the latest reading', () => {
    const p = predictFull(hourly([20, 22.5, 25, 27.5, 30]), 80, NOW)
    expect(p).toEqual({ level: 30, rate: 2.5, fullAt: NOW + 20 * H })
  })

  it('fits a least-squares line through noisy readings, in any order', () => {
    // Times 0..3 h, values 10, 13, 14, 19: slope = sum(t - 1.5)(v - 14) / sum(t - 1.5)^2 = 14 / 5.
    const readings = hourly([10, 13, 14, 19]).reverse()
    const p = predictFull(readings, 80, NOW)!
    expect(p.rate).toBeCloseTo(2.8, 12)
    expect(p.fullAt).toBeCloseTo(NOW + (61 / 2.8) * H, 0)
  })

  it('starts a new fill cycle at an emptying in the middle of the series', () => {
    // Full at 90, emptied to 5 (a drop of 85), then 3 %/h; over the whole series the slope is negative.
    const p = predictFull(hourly([40, 50, 60, 70, 80, 90, 5, 8, 11, 14]), 80, NOW)
    expect(p).toEqual({ level: 14, rate: 3, fullAt: NOW + 22 * H })
  })

  it('keeps a fall of 20 points or less in the cycle (compaction, not an emptying)', () => {
    // 60 -> 40 is exactly 20: still one cycle, so the slope includes the high readings before
    // it: mean 49, sum (t)(v - 49) over t = -2..2 is -15, sum t^2 is 10.
    const compacted = predictFull(hourly([50, 60, 40, 45, 50]), 80, NOW)!
    const emptied = predictFull(hourly([50, 61, 40, 45, 50]), 80, NOW)!
    expect(emptied.rate).toBe(5)
    expect(compacted.rate).not.toBe(5)
    expect(compacted.rate).toBeCloseTo(-1.5, 12)
    expect(compacted.fullAt).toBeNull()
  })

  it('answers null for a flat or falling bin', () => {
    expect(predictFull(hourly([40, 40, 40, 40]), 80, NOW)).toEqual({ level: 40, rate: 0, fullAt: null })
    expect(predictFull(hourly([44, 43, 42]), 80, NOW)).toEqual({ level: 42, rate: -1, fullAt: null })
    expect(predictFull([{ time: NOW, value: 40 }], 80, NOW)).toEqual({ level: 40, rate: 0, fullAt: null })
  })

  it('uses at most the last 48 hours', () => {
    // Filling fast three days ago, flat for the last two days.
    const old = [{ time: NOW - 72 * H, value: 0 }, { time: NOW - 60 * H, value: 30 }]
    const recent = hourly(Array.from({ length: 48 }, () => 40))
    expect(predictFull([...old, ...recent], 80, NOW)).toEqual({ level: 40, rate: 0, fullAt: null })
    // Asked a day earlier, the fast readings fall inside the window and pull the line up.
    expect(predictFull([...old, ...recent], 80, NOW - 24 * H)?.rate).toBeGreaterThan(0)
  })

  it('says since when a full bin is full, from the run the latest reading ends', () => {
    // Over 80 at -4 h, dipped to 79 (compaction), over again from -2 h.
    const p = predictFull(hourly([70, 82, 79, 81, 85, 88]), 80, NOW)!
    expect(p.level).toBe(88)
    expect(p.fullAt).toBe(NOW - 2 * H)
  })

  it('answers undefined without readings', () => {
    expect(predictFull([], 80, NOW)).toBeUndefined()
  })
})

describe('nearestNeighbourRoute', () => {
  const depot = { lat: 52, lon: 5 }

  it('goes to the nearest unvisited stop each time, which is not the order of distance from the depot', () => {
    // On one meridian: P 0.010 deg north, Q 0.011 deg south, R 0.020 deg north.
    const stops = [
      { id: 'q', lat: 51.989, lon: 5 },
      { id: 'r', lat: 52.02, lon: 5 },
      { id: 'p', lat: 52.01, lon: 5 }
    ]
    const route = nearestNeighbourRoute(depot, stops)
    expect(route.legs.map((l) => l.id)).toEqual(['p', 'r', 'q'])
    const legs = [0.01, 0.01, 0.031].map((deg) => deg * M_PER_DEG)
    route.legs.forEach((leg, i) => expect(leg.legM).toBeCloseTo(legs[i]!, 3))
    expect(route.legs.map((l) => l.cumulativeM)).toEqual([route.legs[0]!.legM, route.legs[0]!.legM + route.legs[1]!.legM, route.totalM])
    expect(route.totalM).toBeCloseTo(0.051 * M_PER_DEG, 3)
    expect(route.totalM).toBeCloseTo(5671, 0)
  })

  it('measures east-west legs as great-circle distances', () => {
    // Utrecht: Lombok, Utrecht Centraal, Vredenburg, from the Kanaalweg depot.
    const kanaalweg = { lat: 52.0851, lon: 5.0868 }
    const stops = [
      { id: 'vredenburg', lat: 52.0928, lon: 5.1176 },
      { id: 'centraal', lat: 52.0894, lon: 5.11 },
      { id: 'lombok', lat: 52.0905, lon: 5.1 }
    ]
    const route = nearestNeighbourRoute(kanaalweg, stops)
    expect(route.legs.map((l) => l.id)).toEqual(['lombok', 'centraal', 'vredenburg'])
    expect(route.legs[0]!.legM).toBeCloseTo(haversineM({ lat: 52.0851, lon: 5.0868 }, { lat: 52.0905, lon: 5.1 }), 6)
    expect(route.legs[2]!.legM).toBeCloseTo(haversineM({ lat: 52.0894, lon: 5.11 }, { lat: 52.0928, lon: 5.1176 }), 6)
    // Lombok is about a kilometre from the depot.
    expect(route.legs[0]!.legM).toBeGreaterThan(900)
    expect(route.legs[0]!.legM).toBeLessThan(1100)
  })

  it('is empty without stops and keeps the input order on a tie', () => {
    expect(nearestNeighbourRoute(depot, [])).toEqual({ legs: [], totalM: 0 })
    const tie = nearestNeighbourRoute(depot, [{ id: 'south', lat: 51.99, lon: 5 }, { id: 'north', lat: 52.01, lon: 5 }])
    expect(tie.legs.map((l) => l.id)).toEqual(['south', 'north'])
  })
})

describe('buildCollectionList', () => {
  const depot = { lat: 52, lon: 5 }
  const bin = (id: string, lat: number, values: number[]) => ({ id, name: `Bin ${id}`, location: { lat, lon: 5 }, readings: hourly(values) })

  it('lists full and soon-full bins in route order and leaves the rest off', () => {
    const bins = [
      bin('far-full', 52.03, [85, 86]),
      bin('near-soon', 52.01, [50, 52]), // 2 %/h: 80 in 14 h
      bin('later', 52.005, [30, 31]), // 1 %/h: 80 in 49 h
      bin('flat', 52.001, [60, 60]),
      { id: 'silent', name: 'Bin silent', location: { lat: 52.002, lon: 5 }, readings: [] }
    ]
    const list = buildCollectionList(bins, { depot, threshold: 80, horizonH: 24, now: NOW })
    expect(list.bins.map((b) => [b.order, b.id, b.reason])).toEqual([[1, 'near-soon', 'predicted'], [2, 'far-full', 'full']])
    expect(list.bins[0]).toMatchObject({ fillingLevel: 52, ratePctPerHour: 2, fullAt: NOW + 14 * H, lastReport: NOW })
    expect(list.bins[1]).toMatchObject({ fullAt: NOW - H, lastReport: NOW })
    expect(list.totalDistanceM).toBeCloseTo(0.03 * M_PER_DEG, 3)

    const longer = buildCollectionList(bins, { depot, threshold: 80, horizonH: 72, now: NOW })
    expect(longer.bins.map((b) => b.id)).toEqual(['later', 'near-soon', 'far-full'])
    const lower = buildCollectionList(bins, { depot, threshold: 60, horizonH: 0, now: NOW })
    expect(lower.bins.map((b) => [b.id, b.reason])).toEqual([['flat', 'full'], ['far-full', 'full']])
  })
})

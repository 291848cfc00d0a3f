import { describe, expect, it } from 'vitest'
import { haversineM } from '../../../core/geo.js'
import { snapToCell } from '../../../core/grid.js'
import { rdToWgs84 } from '../../../core/rd-new.js'
import { RideTrimmer, type ClosedRide, type RideTrimmerOptions } from '../../../ingest/privacy/ride-trimmer.js'
import { distanceM, mulberry32, randomPlaceInUtrecht, randomWalk, SNUFFELFIETS, toRidePoint, type TrueFix } from './simulated-rides.js'

const T0 = Date.UTC(2024, 5, 3, 7, 0, 0)
const GUARANTEE_M = SNUFFELFIETS.trimRadiusM.min
const TRIM_MS = SNUFFELFIETS.trimS * 1000

/** A straight ride east from the Dom tower, a fix every 10 s at 5 m/s. */
function straightRide (n: number, t0 = T0): TrueFix[] {
  return Array.from({ length: n }, (_, i) => ({ time: t0 + i * 10_000, x: 136_784 + i * 50, y: 455_860 }))
}

function pushAll (trimmer: RideTrimmer, sensorId: string, counter: number | undefined, fixes: readonly TrueFix[]): ClosedRide[] {
  return fixes.flatMap((fix) => trimmer.push(toRidePoint(sensorId, counter, fix)))
}

const configurations: Array<[string, RideTrimmerOptions]> = [
  ['default (offset circles)', SNUFFELFIETS],
  ['plain circles', { ...SNUFFELFIETS, endOffsetM: { min: 0, max: 0 } }]
]

describe.each(configurations)('RideTrimmer trimming, %s', (_, options) => {
  it('keeps nothing stored near the true ends of 200 random rides, nor within trimS of them', () => {
    const random = mulberry32(20240603)
    const trimmer = new RideTrimmer(options, mulberry32(7))
    const outcomes = { kept: 0, 'too-short': 0, 'too-few-points': 0 }
    // Plain checks gathered into one assertion: an expect per point makes this file slow.
    const violations: string[] = []
    for (let i = 0; i < 200; i++) {
      const { fixes, lengthM } = randomWalk(random, randomPlaceInUtrecht(random), T0 + i * 3_600_000)
      expect(pushAll(trimmer, `bike-${i}`, 1, fixes)).toEqual([])
      const closed = trimmer.closeAll()
      expect(closed).toHaveLength(1)
      const ride = closed[0]!
      outcomes[ride.outcome]++
      const start = fixes[0]!
      const end = fixes.at(-1)!
      const fail = (what: string): number => violations.push(`ride ${i}: ${what}`)
      if (ride.rideStart !== start.time) fail('rideStart is not the first fix')
      if (ride.kept.length + ride.dropped !== fixes.length) fail('fixes lost or duplicated')
      const byTime = new Map(fixes.map((f) => [f.time, f]))
      for (const point of ride.kept) {
        const raw = byTime.get(point.time)!
        if (point.cell.id !== snapToCell(raw.x, raw.y, 100).id) fail(`${point.time}: not the cell of its fix`)
        if (Object.keys(point).sort().join() !== 'cell,time,values') fail(`${point.time}: carries more than time, cell, values`)
        for (const [name, where] of [['cell centre', point.cell], ['raw fix', raw]] as const) {
          if (distanceM(where, start) <= GUARANTEE_M) fail(`${point.time}: ${name} ${distanceM(where, start).toFixed(1)} m from start`)
          if (distanceM(where, end) <= GUARANTEE_M) fail(`${point.time}: ${name} ${distanceM(where, end).toFixed(1)} m from end`)
        }
        if (point.time - start.time <= TRIM_MS || end.time - point.time <= TRIM_MS) fail(`${point.time}: within trimS of an end`)
      }
      if (ride.outcome === 'kept') {
        if (lengthM < 500) fail(`kept, but only ${lengthM.toFixed(0)} m long`)
        if (ride.kept.length < 10) fail(`kept with ${ride.kept.length} points`)
        const raws = ride.kept.map((p) => rdToWgs84(byTime.get(p.time)!.x, byTime.get(p.time)!.y))
        let keptLength = 0
        for (let j = 1; j < raws.length; j++) keptLength += haversineM(raws[j - 1]!, raws[j]!)
        if (keptLength < 500) fail(`kept with a path of ${keptLength.toFixed(0)} m`)
      } else if (ride.kept.length !== 0 || ride.dropped !== fixes.length) {
        fail(`${ride.outcome}, but not dropped whole`)
      }
    }
    expect(violations).toEqual([])
    // Both branches ran, so the checks above were exercised.
    expect(outcomes.kept).toBeGreaterThan(50)
    expect(outcomes['too-short'] + outcomes['too-few-points']).toBeGreaterThan(20)
  })

  it('trims the whole drawn radius: with r at its maximum nothing within 500 m of an end is kept', () => {
    const trimmer = new RideTrimmer(options, () => 1 - 1e-12)
    const fixes = straightRide(200) // 10 km
    pushAll(trimmer, 'bike', 1, fixes)
    const [ride] = trimmer.closeAll()
    expect(ride!.outcome).toBe('kept')
    for (const point of ride!.kept) {
      expect(distanceM(point.cell, fixes[0]!)).toBeGreaterThan(499.99)
      expect(distanceM(point.cell, fixes.at(-1)!)).toBeGreaterThan(499.99)
    }
  })
})

describe('RideTrimmer trimming', () => {
  it('drops a ride that stays within the trim radius whole, even with enough points', () => {
    const trimmer = new RideTrimmer({ ...SNUFFELFIETS, endOffsetM: { min: 0, max: 0 } })
    // 20 minutes circling a block: many fixes, none 200 m or more from the first.
    const fixes = Array.from({ length: 120 }, (_, i) => ({ time: T0 + i * 10_000, x: 136_784 + 90 * Math.cos(i / 5), y: 455_860 + 90 * Math.sin(i / 5) }))
    pushAll(trimmer, 'bike', 1, fixes)
    expect(trimmer.closeAll()).toMatchObject([{ outcome: 'too-few-points', kept: [], dropped: 120 }])
  })

  it('drops a ride whose kept part is under minLengthM', () => {
    const trimmer = new RideTrimmer({ ...SNUFFELFIETS, endOffsetM: { min: 0, max: 0 }, minPoints: 1 }, () => 0)
    // 1.2 km east; r = 200 m at both ends leaves 800 m, raise the bar above it.
    const fixes = Array.from({ length: 121 }, (_, i) => ({ time: T0 + i * 10_000, x: 136_784 + i * 10, y: 455_860 }))
    const long = new RideTrimmer({ ...SNUFFELFIETS, endOffsetM: { min: 0, max: 0 }, minPoints: 1, minLengthM: 900 }, () => 0)
    pushAll(trimmer, 'bike', 1, fixes)
    pushAll(long, 'bike', 1, fixes)
    expect(trimmer.closeAll()[0]!.outcome).toBe('kept')
    expect(long.closeAll()[0]!.outcome).toBe('too-short')
  })

  it('returns copies of the values and no coordinate', () => {
    const trimmer = new RideTrimmer(SNUFFELFIETS, () => 0)
    const fixes = straightRide(100)
    pushAll(trimmer, 'bike', 1, fixes)
    const [ride] = trimmer.closeAll()
    const text = JSON.stringify(ride)
    expect(text).not.toMatch(/"lat"|"lon"/)
    expect(ride!.kept[0]!.values).toEqual({ pm25: 7 })
  })

  it('refuses a cell finer than 100 m and an empty radius range', () => {
    expect(() => new RideTrimmer({ ...SNUFFELFIETS, cellM: 50 })).toThrow(RangeError)
    expect(() => new RideTrimmer({ ...SNUFFELFIETS, trimRadiusM: { min: 300, max: 200 } })).toThrow(RangeError)
  })
})

describe('RideTrimmer ride boundaries', () => {
  it('a silence longer than gapS closes the ride', () => {
    const trimmer = new RideTrimmer(SNUFFELFIETS)
    const fixes = straightRide(100)
    expect(pushAll(trimmer, 'bike', 1, fixes)).toEqual([])
    const after = { ...fixes.at(-1)!, time: fixes.at(-1)!.time + 300_001 }
    const closed = trimmer.push(toRidePoint('bike', 1, after))
    expect(closed.map((r) => r.rideStart)).toEqual([T0])
    expect(closed[0]!.kept.length + closed[0]!.dropped).toBe(100)
    expect(trimmer.openRides).toBe(1)
    expect(trimmer.bufferedPoints).toBe(1)
  })

  it('a silence of exactly gapS does not', () => {
    const trimmer = new RideTrimmer(SNUFFELFIETS)
    const fixes = straightRide(10)
    pushAll(trimmer, 'bike', 1, fixes)
    expect(trimmer.push(toRidePoint('bike', 1, { ...fixes[9]!, time: fixes[9]!.time + 300_000 }))).toEqual([])
    expect(trimmer.bufferedPoints).toBe(11)
  })

  it('a change of the ride counter closes the ride; a missing counter does not', () => {
    const trimmer = new RideTrimmer(SNUFFELFIETS)
    const fixes = straightRide(30)
    pushAll(trimmer, 'bike', 4, fixes.slice(0, 10))
    expect(pushAll(trimmer, 'bike', undefined, fixes.slice(10, 20))).toEqual([])
    const closed = pushAll(trimmer, 'bike', 5, fixes.slice(20))
    expect(closed).toHaveLength(1)
    expect(closed[0]).toMatchObject({ rideStart: T0, counter: 4 })
    expect(closed[0]!.kept.length + closed[0]!.dropped).toBe(20)
    expect(trimmer.closeAll()).toMatchObject([{ rideStart: fixes[20]!.time, counter: 5 }])
  })

  it('time going back more than gapS closes the ride; a little out of order is sorted in', () => {
    const trimmer = new RideTrimmer(SNUFFELFIETS)
    const fixes = straightRide(60)
    const shuffled = [...fixes.slice(0, 30), fixes[31]!, fixes[30]!, ...fixes.slice(32)]
    expect(pushAll(trimmer, 'bike', 1, shuffled)).toEqual([])
    expect(trimmer.bufferedPoints).toBe(60)
    const old = { ...fixes[0]!, time: fixes.at(-1)!.time - 300_001 }
    const [ride] = trimmer.push(toRidePoint('bike', 1, old))
    expect(ride!.rideStart).toBe(T0)
    const times = ride!.kept.map((p) => p.time)
    expect(times).toEqual([...times].sort((a, b) => a - b))
  })

  it('a repeated fix (MQTT redelivery) replaces itself instead of counting twice', () => {
    const trimmer = new RideTrimmer(SNUFFELFIETS)
    const fixes = straightRide(20)
    pushAll(trimmer, 'bike', 1, fixes)
    pushAll(trimmer, 'bike', 1, fixes.slice(5, 10))
    expect(trimmer.bufferedPoints).toBe(20)
  })

  it('closeIdle closes only the rides silent for more than gapS', () => {
    const trimmer = new RideTrimmer(SNUFFELFIETS)
    pushAll(trimmer, 'early', 1, straightRide(10, T0))
    pushAll(trimmer, 'late', 1, straightRide(10, T0 + 200_000))
    const lastEarly = T0 + 90_000
    expect(trimmer.closeIdle(lastEarly + 300_000)).toEqual([])
    expect(trimmer.closeIdle(lastEarly + 300_001).map((r) => r.sensorId)).toEqual(['early'])
    expect(trimmer.openRides).toBe(1)
    expect(trimmer.bufferedPoints).toBe(10)
  })

  it('property: interleaved devices split exactly at gaps, counter changes and maxPoints, and memory stays bounded', () => {
    const random = mulberry32(42)
    const maxPoints = 40
    const trimmer = new RideTrimmer({ ...SNUFFELFIETS, maxPoints }, mulberry32(9))
    const expected = new Map<string, Array<{ start: number, counter: number }>>()
    const stream: Array<{ sensorId: string, counter: number, fix: TrueFix }> = []
    for (let d = 0; d < 12; d++) {
      const sensorId = `bike-${d}`
      const starts: Array<{ start: number, counter: number }> = []
      let t = T0 + Math.floor(random() * 600_000)
      let counter = Math.floor(random() * 1000)
      let place = randomPlaceInUtrecht(random)
      for (let k = 0; k < 5; k++) {
        const { fixes } = randomWalk(random, place, t)
        // Each ride is cut into pieces of maxPoints fixes.
        for (let i = 0; i < fixes.length; i += maxPoints) starts.push({ start: fixes[i]!.time, counter })
        for (const fix of fixes) stream.push({ sensorId, counter, fix })
        place = fixes.at(-1)!
        if (random() < 0.5) {
          t = fixes.at(-1)!.time + 300_001 + Math.floor(random() * 3_600_000) // a pause: same counter
        } else {
          t = fixes.at(-1)!.time + 10_000 // rides straight on with a new counter
          counter++
        }
      }
      expected.set(sensorId, starts)
    }
    stream.sort((a, b) => a.fix.time - b.fix.time)

    const closed: ClosedRide[] = []
    let overfull = 0
    for (const { sensorId, counter, fix } of stream) {
      closed.push(...trimmer.push(toRidePoint(sensorId, counter, fix)))
      if (trimmer.bufferedPoints > (maxPoints - 1) * trimmer.openRides) overfull++
    }
    expect(overfull).toBe(0)
    closed.push(...trimmer.closeAll())
    expect(trimmer.openRides).toBe(0)
    expect(trimmer.bufferedPoints).toBe(0)

    for (const [sensorId, starts] of expected) {
      const got = closed.filter((r) => r.sensorId === sensorId).map((r) => ({ start: r.rideStart, counter: r.counter }))
      expect(got).toEqual(starts)
    }
    // Every fix is accounted for exactly once, kept or dropped.
    expect(closed.reduce((sum, r) => sum + r.kept.length + r.dropped, 0)).toBe(stream.length)
  })
})

import { describe, expect, it } from 'vitest'
import { distanceM, distanceToPolylineM, offsetM, pointAlong, polylineLengthM, ringAreaM2, type Position } from '../../simulators/geo.js'

const dom = { lat: 52.0907, lon: 5.1214 }

describe('geometry', () => {
  it('measures distances in metres', () => {
    expect(distanceM(dom, offsetM(dom, 1000, 0))).toBeCloseTo(1000, 0)
    expect(distanceM(dom, offsetM(dom, 0, 1000))).toBeCloseTo(1000, 0)
    // Utrecht Centraal to the Dom tower: about 900 m.
    expect(distanceM({ lat: 52.0894, lon: 5.1100 }, dom)).toBeGreaterThan(750)
    expect(distanceM({ lat: 52.0894, lon: 5.1100 }, dom)).toBeLessThan(900)
  })

  it('measures the area of a ring', () => {
    const ne = offsetM(dom, 100, 100)
    const ring: Position[] = [[dom.lon, dom.lat], [ne.lon, dom.lat], [ne.lon, ne.lat], [dom.lon, ne.lat], [dom.lon, dom.lat]]
    expect(ringAreaM2(ring)).toBeGreaterThan(9_950)
    expect(ringAreaM2(ring)).toBeLessThan(10_050)
  })

  it('walks along and measures from a polyline', () => {
    const line = [dom, offsetM(dom, 0, 400), offsetM(dom, 300, 400)]
    expect(polylineLengthM(line)).toBeCloseTo(700, 0)
    expect(distanceM(pointAlong(line, 550), offsetM(dom, 150, 400))).toBeLessThan(0.5)
    expect(pointAlong(line, 5_000)).toEqual(line[2])
    expect(distanceToPolylineM(offsetM(dom, -50, 200), line)).toBeCloseTo(50, 0)
  })
})

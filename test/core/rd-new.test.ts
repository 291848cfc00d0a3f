import { describe, expect, it } from 'vitest'
import { rdToWgs84, wgs84ToRd } from '../../core/rd-new.js'

/**
 * Reference points. Amersfoort is the origin of both polynomials, exact by definition. The
 * Martinitoren (Groningen) and Westertoren (Amsterdam) are Kadaster RD points; their WGS 84
 * positions and the Dom tower's RD position come from the EPSG:28992 transformation (PROJ
 * oblique stereographic on Bessel 1841 with the EPSG 7-parameter Helmert to WGS 84), which
 * NSGI puts within a few decimetres of RDNAPTRANS. A fix near the Dom tower (lat 52.0907, lon
 * 5.1214) is x 136 784, y 455 860.
 */
const POINTS = [
  { name: 'Onze Lieve Vrouwetoren, Amersfoort', lat: 52.15517440, lon: 5.38720621, x: 155_000, y: 463_000 },
  { name: 'Martinitoren, Groningen', lat: 53.2193811, lon: 6.5681977, x: 233_883.131, y: 582_065.167 },
  { name: 'Westertoren, Amsterdam', lat: 52.3745304, lon: 4.8835229, x: 120_700.723, y: 487_525.501 },
  { name: 'Dom tower, Utrecht', lat: 52.0907, lon: 5.1214, x: 136_783.73, y: 455_860.14 }
]

/** Metres per degree at Dutch latitudes, for comparing in metres: 1 deg lat ~ 111.3 km, 1 deg lon ~ 68.5 km at 52 N. */
const M_PER_DEG_LAT = 111_300
const mPerDegLon = (lat: number): number => 111_320 * Math.cos(lat * Math.PI / 180)

describe('RD New', () => {
  it.each(POINTS)('maps $name to its RD coordinates within 1 m', ({ lat, lon, x, y }) => {
    const rd = wgs84ToRd(lat, lon)
    expect(Math.hypot(rd.x - x, rd.y - y)).toBeLessThan(1)
  })

  it.each(POINTS)('maps $name back to WGS 84 within 1 m', ({ lat, lon, x, y }) => {
    const wgs = rdToWgs84(x, y)
    expect(Math.hypot((wgs.lat - lat) * M_PER_DEG_LAT, (wgs.lon - lon) * mPerDegLon(lat))).toBeLessThan(1)
  })

  it('is exact at the origin', () => {
    expect(wgs84ToRd(52.15517440, 5.38720621)).toEqual({ x: 155_000, y: 463_000 })
    expect(rdToWgs84(155_000, 463_000)).toEqual({ lat: 52.15517440, lon: 5.38720621 })
  })

  it('round-trips within 1 m across the Netherlands', () => {
    let worst = 0
    for (let lat = 50.75; lat <= 53.5; lat += 0.05) {
      for (let lon = 3.4; lon <= 7.2; lon += 0.05) {
        const rd = wgs84ToRd(lat, lon)
        const back = rdToWgs84(rd.x, rd.y)
        worst = Math.max(worst, Math.hypot((back.lat - lat) * M_PER_DEG_LAT, (back.lon - lon) * mPerDegLon(lat)))
        const again = wgs84ToRd(back.lat, back.lon)
        worst = Math.max(worst, Math.hypot(again.x - rd.x, again.y - rd.y))
      }
    }
    expect(worst).toBeLessThan(1)
  })

  it('has x east and y north, a metre a metre near Utrecht', () => {
    const dom = wgs84ToRd(52.0907, 5.1214)
    const north = wgs84ToRd(52.0907 + 1000 / M_PER_DEG_LAT, 5.1214)
    const east = wgs84ToRd(52.0907, 5.1214 + 1000 / mPerDegLon(52.0907))
    expect(north.y - dom.y).toBeCloseTo(1000, -1)
    expect(Math.abs(north.x - dom.x)).toBeLessThan(30) // grid convergence ~1.6 degrees here
    expect(east.x - dom.x).toBeCloseTo(1000, -1)
  })
})

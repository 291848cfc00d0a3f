/**
 * Small-scale geometry on WGS 84 for a city a few kilometres across: haversine distances,
 * and a local equirectangular projection (error well under 0.1 % over a few kilometres) for
 * areas and point-to-line distances. GeoJSON positions are `[lon, lat]` (RFC 7946 section 3.1.1).
 */
export interface LatLon {
  lat: number
  lon: number
}

export type Position = [lon: number, lat: number]

/** Mean Earth radius (IUGG), metres. */
const EARTH_RADIUS_M = 6_371_008.8
const RAD = Math.PI / 180

/** A box around the municipality of Utrecht, with Leidsche Rijn and the Science Park. */
export const UTRECHT_BOUNDS = { minLat: 52.02, maxLat: 52.14, minLon: 4.97, maxLon: 5.20 } as const

export function insideUtrecht (p: LatLon): boolean {
  const b = UTRECHT_BOUNDS
  return p.lat >= b.minLat && p.lat <= b.maxLat && p.lon >= b.minLon && p.lon <= b.maxLon
}

export function distanceM (a: LatLon, b: LatLon): number {
  const dLat = (b.lat - a.lat) * RAD
  const dLon = (b.lon - a.lon) * RAD
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * RAD) * Math.cos(b.lat * RAD) * Math.sin(dLon / 2) ** 2
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)))
}

/** `p` moved `northM` metres north and `eastM` metres east. */
export function offsetM (p: LatLon, northM: number, eastM: number): LatLon {
  return {
    lat: p.lat + northM / (EARTH_RADIUS_M * RAD),
    lon: p.lon + eastM / (EARTH_RADIUS_M * RAD * Math.cos(p.lat * RAD))
  }
}

/** Metres east and north of `origin`. */
function project (origin: LatLon, p: LatLon): [x: number, y: number] {
  return [
    (p.lon - origin.lon) * RAD * EARTH_RADIUS_M * Math.cos(origin.lat * RAD),
    (p.lat - origin.lat) * RAD * EARTH_RADIUS_M
  ]
}

/** Area of a closed linear ring in square metres (shoelace on the local projection). */
export function ringAreaM2 (ring: readonly Position[]): number {
  const origin = { lon: ring[0]![0], lat: ring[0]![1] }
  let twice = 0
  for (let i = 0; i + 1 < ring.length; i++) {
    const [x1, y1] = project(origin, { lon: ring[i]![0], lat: ring[i]![1] })
    const [x2, y2] = project(origin, { lon: ring[i + 1]![0], lat: ring[i + 1]![1] })
    twice += x1 * y2 - x2 * y1
  }
  return Math.abs(twice) / 2
}

/** Mean of a closed ring's vertices (the closing vertex counted once): good enough to pin a sensor. */
export function ringCenter (ring: readonly Position[]): LatLon {
  const open = ring.slice(0, -1)
  return {
    lon: open.reduce((sum, p) => sum + p[0], 0) / open.length,
    lat: open.reduce((sum, p) => sum + p[1], 0) / open.length
  }
}

export function polylineLengthM (points: readonly LatLon[]): number {
  let length = 0
  for (let i = 1; i < points.length; i++) length += distanceM(points[i - 1]!, points[i]!)
  return length
}

/** The point `along` metres from the start of the polyline, clamped to its ends. */
export function pointAlong (points: readonly LatLon[], along: number): LatLon {
  let left = Math.max(0, along)
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1]!
    const b = points[i]!
    const leg = distanceM(a, b)
    if (left <= leg) {
      const f = leg === 0 ? 0 : left / leg
      return { lat: a.lat + (b.lat - a.lat) * f, lon: a.lon + (b.lon - a.lon) * f }
    }
    left -= leg
  }
  return points.at(-1)!
}

/** Shortest distance from `p` to the polyline, metres. */
export function distanceToPolylineM (p: LatLon, points: readonly LatLon[]): number {
  let best = Infinity
  for (let i = 1; i < points.length; i++) {
    const [ax, ay] = project(p, points[i - 1]!)
    const [bx, by] = project(p, points[i]!)
    const dx = bx - ax
    const dy = by - ay
    const lengthSq = dx * dx + dy * dy
    const t = lengthSq === 0 ? 0 : Math.max(0, Math.min(1, -(ax * dx + ay * dy) / lengthSq))
    best = Math.min(best, Math.hypot(ax + t * dx, ay + t * dy))
  }
  return best
}

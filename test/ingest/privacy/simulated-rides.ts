import { rdToWgs84 } from '../../../core/rd-new.js'
import type { RidePoint, RideTrimmerOptions } from '../../../ingest/privacy/ride-trimmer.js'

/**
 * Seeded bicycle rides through Utrecht for the privacy property tests. Everything is made in
 * RD New metres (the truth the tests measure against) and handed to the trimmer as WGS 84, as
 * a device would send it.
 */

/** mulberry32 (Tommy Ettinger, public domain): a tiny seeded PRNG, uniform in [0, 1). */
export function mulberry32 (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6D2B79F5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}

/** The snuffelfiets kind's ride rules (registry/kinds/snuffelfiets.json) on 100 m cells. */
export const SNUFFELFIETS: RideTrimmerOptions = {
  counterField: 'trip',
  latField: 'lat',
  lonField: 'lon',
  gapS: 300,
  trimRadiusM: { min: 200, max: 500 },
  trimS: 60,
  minLengthM: 500,
  minPoints: 10,
  maxPoints: 5000,
  cellM: 100
}

export interface TrueFix {
  /** Epoch ms. */
  time: number
  /** RD New metres. */
  x: number
  y: number
}

export interface Xy { x: number, y: number }

/** Central Utrecht in RD New: the box around the Dom tower (x 136 784, y 455 860) riders cross. */
export function randomPlaceInUtrecht (random: () => number): Xy {
  return { x: 132_000 + random() * 9_000, y: 451_000 + random() * 9_000 }
}

const between = (random: () => number, min: number, max: number): number => min + random() * (max - min)

/**
 * Rides `way` (a polyline) at 3-7 m/s with a fix every 5-15 s; positions between corners get
 * up to `noiseM` of GPS scatter, the first and last fix none (they are the true ends).
 */
function ride (random: () => number, way: readonly Xy[], t0: number, noiseM: number): TrueFix[] {
  let pos = { x: way[0]!.x, y: way[0]!.y }
  let time = t0
  const fixes: TrueFix[] = [{ time, ...pos }]
  for (const target of way.slice(1)) {
    for (;;) {
      const dt = between(random, 5, 15)
      const step = dt * between(random, 3, 7)
      const left = Math.hypot(target.x - pos.x, target.y - pos.y)
      time += Math.round(dt * 1000)
      if (left <= step) {
        pos = { x: target.x, y: target.y }
        break
      }
      pos = { x: pos.x + (target.x - pos.x) * step / left, y: pos.y + (target.y - pos.y) * step / left }
      fixes.push({ time, x: pos.x + (random() - 0.5) * 2 * noiseM, y: pos.y + (random() - 0.5) * 2 * noiseM })
    }
  }
  fixes.push({ time, ...pos })
  return fixes
}

/**
 * A wandering ride of 0.3-8 km from `start`: straight stretches of 50-300 m joined by turns of
 * up to 60 degrees, like a route through city streets.
 */
export function randomWalk (random: () => number, start: Xy, t0: number): { fixes: TrueFix[], lengthM: number } {
  const lengthM = between(random, 300, 8_000)
  const way: Xy[] = [start]
  let heading = random() * 2 * Math.PI
  let travelled = 0
  while (travelled < lengthM) {
    const leg = Math.min(between(random, 50, 300), lengthM - travelled)
    const last = way.at(-1)!
    way.push({ x: last.x + leg * Math.cos(heading), y: last.y + leg * Math.sin(heading) })
    travelled += leg
    heading += between(random, -Math.PI / 3, Math.PI / 3)
  }
  return { fixes: ride(random, way, t0, 0), lengthM }
}

/**
 * There and back from `home` to a destination 1-4 km away in a uniform direction, along a
 * street grid: each way goes east-west then north-south or the other way round, chosen
 * independently, so a ride often leaves home along one street and returns along another.
 */
export function roundTrip (random: () => number, home: Xy, t0: number): TrueFix[] {
  const angle = random() * 2 * Math.PI
  const distance = between(random, 1_000, 4_000)
  const destination = { x: home.x + distance * Math.cos(angle), y: home.y + distance * Math.sin(angle) }
  const leg = (from: Xy, to: Xy): Xy[] => random() < 0.5 ? [{ x: to.x, y: from.y }, to] : [{ x: from.x, y: to.y }, to]
  return ride(random, [home, ...leg(home, destination), ...leg(destination, home)], t0, 5)
}

export function toRidePoint (sensorId: string, counter: number | undefined, fix: TrueFix): RidePoint {
  const { lat, lon } = rdToWgs84(fix.x, fix.y)
  return { sensorId, time: fix.time, counter, lat, lon, values: { pm25: 7 } }
}

export function distanceM (a: Xy, b: Xy): number {
  return Math.hypot(a.x - b.x, a.y - b.y)
}

import type { KindPrivacy } from '../../core/kind.js'
import { haversineM } from '../../core/geo.js'
import { planarM } from './distance.js'
import { snapToCell, type GridCell } from '../../core/grid.js'
import { wgs84ToRd } from '../../core/rd-new.js'

/**
 * Privacy rule 5 for mobile sensors (DESIGN.md section 5): a ride's points near where it
 * starts and ends are dropped, the rest keep only their grid cell, and raw coordinates never
 * leave this class. One trimmer per kind holds the open rides of all its devices in memory;
 * ingest pushes every fix and stores what closed rides keep.
 *
 * A ride ends at a change of the device's ride counter, a silence longer than `gapS`, a fix
 * more than `gapS` older than the newest one, or `maxPoints` fixes (which bounds memory; the
 * pieces of a long ride are each trimmed at both ends, which only drops more). Fixes that
 * arrive a little out of order are put in time order; a repeated time replaces its fix
 * (MQTT QoS 1 redelivers).
 *
 * Trimming, per closed ride, with s the ride's first fix and e its last:
 *
 * 1. r is drawn uniformly in `trimRadiusM` [min, max]. Every fix whose raw position or whose
 *    cell centre lies within r of s or of e is dropped, so no stored coordinate (a cell
 *    centre) lies within r of the true ends. So is every fix within `trimS` of s or e.
 * 2. The trimmed region is not the circle of radius r around s and e but a larger circle of
 *    radius r + |o| around s + o and e + o, where o is an offset drawn once per device
 *    (`endOffsetM`). It contains the r-circles, so step 1 still holds. See "home inference".
 * 3. The midpoint of the first and last kept cell centres must also lie more than r from s
 *    and from e; while it does not, a fix is dropped from whichever end moves it further away.
 * 4. The ride is dropped whole when fewer than `minPoints` fixes remain or their path
 *    (haversine over the kept raw positions, in time order) is shorter than `minLengthM`.
 *
 * Home inference (test/ingest/privacy/ride-trimmer-home.test.ts). Someone who reads the
 * stored cells of a round trip from home can guess home as the midpoint of its first and last
 * kept cells. With plain circles around s and e, a ride that leaves northwards and comes back
 * from the south puts that midpoint on top of home; step 3 forbids exactly that, so every
 * per-ride guess is more than r (>= 200 m) from either end.
 *
 * Rides linked by one pseudonym can be combined, and then trimming alone cannot guarantee
 * anything. With plain circles the kept ends lie on a ring around home, and both the centroid
 * of the per-ride guesses and the centre of a circle fitted to the ends converge on home. Any
 * per-ride randomness (the radius, a fresh random centre per ride, trimming by path length)
 * treats all directions alike, has no expected bias, and only slows that convergence to about
 * 1/sqrt(rides): in the tests, 50 rides put the centroid 47 m (median) from home, the circle
 * centre 35 m; 4 rides put the circle centre within 150 m on 61 % of days. Only a bias that is
 * the same for every ride of a device survives averaging, which is step 2: the ring is centred
 * on s + o, a decoy 400-600 m away, and a circle fit finds the decoy (never nearer than 359 m
 * in the tests; within 150 m on 1 % of 4-ride days). What is left is weaker: for rides in all
 * directions the exits average out at s + o/2, so the centroid of many guesses still drifts
 * toward home from the decoy; at 50 rides it lands within 150 m of home for 22 % of homes, and
 * 2 * centroid - circle centre for 26 %. The noise of every such estimate shrinks like
 * 1/sqrt(rides) while the bias stays, so no trimming rule makes a 150 m guarantee hold for
 * many linked rides. The defences that do hold are elsewhere: the daily pseudonym
 * (pseudonym.ts) so that only a day's rides link, the 1-day raw retention of the kind, and
 * publication only of cell-hours with enough rides and devices (`gridPrivacySchema`).
 *
 * The price of step 2 is data: in the tests one-way rides of 0.3-8 km keep 50 % of their fixes
 * instead of 76 %, round trips 73 % instead of 86 %. Further limits:
 * - o lives in memory, drawn from `random` when a device is first seen, and is kept for the
 *   life of the trimmer (one small entry per device). A restart draws a new o; averaging over
 *   many restarts tends to home again, so a durable o would need a persisted secret.
 * - Rides leaving mostly one way (home at the end of a dead-end street) bias the average by
 *   the street, not by o; and the streets of the kept parts, followed back, point the way home.
 *   Trimming hides where a ride starts, not the roads it takes.
 */

export type RidesPrivacy = NonNullable<KindPrivacy['rides']>

/**
 * `endOffsetM` is the length of the per-device offset o of the trimmed circles (step 2),
 * drawn uniformly in [min, max] metres with a uniform direction (`ridesPrivacySchema`).
 */
export interface RideTrimmerOptions extends Omit<RidesPrivacy, 'endOffsetM'> {
  /** Grid cell size, metres (`gridPrivacySchema.cellM`, at least 100). */
  cellM: number
  /** Default 400-600 m; `{ min: 0, max: 0 }` gives plain circles. */
  endOffsetM?: { min: number, max: number }
}

export interface RidePoint {
  sensorId: string
  /** Epoch ms. */
  time: number
  /** The device's ride counter (privacy class `internal`); undefined when the reading has none. */
  counter: number | undefined
  /** WGS 84 degrees; never leaves the trimmer. */
  lat: number
  lon: number
  /** The other fields of the reading, e.g. pm25. */
  values: Record<string, number>
}

/** What may be stored of a fix: its time, its cell and its values. No coordinate. */
export interface KeptPoint {
  time: number
  cell: GridCell
  values: Record<string, number>
}

export interface ClosedRide {
  sensorId: string
  /**
   * Epoch ms of the first fix, trimmed or not: a key for the ride's pseudonym. Never store or
   * publish it next to the kept points: with a speed it says how far the first kept cell is
   * from the start.
   */
  rideStart: number
  counter: number | undefined
  /** In time order; empty when the ride was dropped. */
  kept: KeptPoint[]
  /** Fixes not kept, trimmed or dropped with the ride. */
  dropped: number
  outcome: 'kept' | 'too-short' | 'too-few-points'
}

interface Fix {
  time: number
  lat: number
  lon: number
  /** RD New metres of the raw fix. */
  x: number
  y: number
  cell: GridCell
  values: Record<string, number>
}

interface OpenRide {
  sensorId: string
  counter: number | undefined
  /** In time order, unique times. */
  fixes: Fix[]
}

interface Offset { dx: number, dy: number, length: number }

interface Point { x: number, y: number }

const DEFAULT_END_OFFSET_M = { min: 400, max: 600 }

export class RideTrimmer {
  readonly #options: RideTrimmerOptions
  readonly #random: () => number
  readonly #gapMs: number
  readonly #trimMs: number
  readonly #endOffset: { min: number, max: number }
  readonly #rides = new Map<string, OpenRide>()
  /** Per device, for the life of the trimmer; see "home inference" above. */
  readonly #offsets = new Map<string, Offset>()
  #buffered = 0

  constructor (options: RideTrimmerOptions, random: () => number = Math.random) {
    const { trimRadiusM } = options
    if (!(trimRadiusM.min > 0 && trimRadiusM.max >= trimRadiusM.min)) throw new RangeError('trimRadiusM needs 0 < min <= max')
    const endOffset = options.endOffsetM ?? DEFAULT_END_OFFSET_M
    if (!(endOffset.min >= 0 && endOffset.max >= endOffset.min)) throw new RangeError('endOffsetM needs 0 <= min <= max')
    snapToCell(0, 0, options.cellM) // throws for a cell finer than 100 m
    this.#options = options
    this.#random = random
    this.#gapMs = options.gapS * 1000
    this.#trimMs = options.trimS * 1000
    this.#endOffset = endOffset
  }

  /** Adds a fix; returns the rides it closed (the device's previous ride, this one, or both). */
  push (point: RidePoint): ClosedRide[] {
    if (!Number.isFinite(point.time) || !Number.isFinite(point.lat) || !Number.isFinite(point.lon)) {
      throw new RangeError('A ride point needs a finite time, lat and lon')
    }
    const closed: ClosedRide[] = []
    let ride = this.#rides.get(point.sensorId)
    if (ride !== undefined && this.#breaks(ride, point)) {
      closed.push(this.#close(ride))
      ride = undefined
    }
    if (ride === undefined) {
      ride = { sensorId: point.sensorId, counter: point.counter, fixes: [] }
      this.#rides.set(point.sensorId, ride)
    }
    // A ride that began without a counter takes the first one it sees; see #breaks.
    ride.counter ??= point.counter
    this.#insert(ride, this.#fix(point))
    if (ride.fixes.length >= this.#options.maxPoints) closed.push(this.#close(ride))
    return closed
  }

  /** Closes the rides whose newest fix is more than `gapS` before `now` (epoch ms). */
  closeIdle (now: number): ClosedRide[] {
    const closed: ClosedRide[] = []
    for (const ride of [...this.#rides.values()]) {
      if (now - ride.fixes.at(-1)!.time > this.#gapMs) closed.push(this.#close(ride))
    }
    return closed
  }

  /** Closes every open ride, e.g. at shutdown. */
  closeAll (): ClosedRide[] {
    return [...this.#rides.values()].map((ride) => this.#close(ride))
  }

  get openRides (): number {
    return this.#rides.size
  }

  /** Fixes held in memory; below `maxPoints` per open ride. */
  get bufferedPoints (): number {
    return this.#buffered
  }

  #breaks (ride: OpenRide, point: RidePoint): boolean {
    // Only a change between two known counters: a message without the counter field is the
    // same ride, not a new one.
    if (ride.counter !== undefined && point.counter !== undefined && point.counter !== ride.counter) return true
    const newest = ride.fixes.at(-1)!.time
    return Math.abs(point.time - newest) > this.#gapMs
  }

  #fix (point: RidePoint): Fix {
    const { x, y } = wgs84ToRd(point.lat, point.lon)
    return { time: point.time, lat: point.lat, lon: point.lon, x, y, cell: snapToCell(x, y, this.#options.cellM), values: { ...point.values } }
  }

  #insert (ride: OpenRide, fix: Fix): void {
    const { fixes } = ride
    let i = fixes.length
    while (i > 0 && fixes[i - 1]!.time > fix.time) i--
    if (i > 0 && fixes[i - 1]!.time === fix.time) {
      fixes[i - 1] = fix
      return
    }
    fixes.splice(i, 0, fix)
    this.#buffered++
  }

  #close (ride: OpenRide): ClosedRide {
    this.#rides.delete(ride.sensorId)
    this.#buffered -= ride.fixes.length
    return this.#trim(ride)
  }

  #offsetOf (sensorId: string): Offset {
    let offset = this.#offsets.get(sensorId)
    if (offset === undefined) {
      const { min, max } = this.#endOffset
      const length = min + this.#random() * (max - min)
      const angle = 2 * Math.PI * this.#random()
      offset = { dx: length * Math.cos(angle), dy: length * Math.sin(angle), length }
      this.#offsets.set(sensorId, offset)
    }
    return offset
  }

  #trim (ride: OpenRide): ClosedRide {
    const { fixes, sensorId, counter } = ride
    const { trimRadiusM, minPoints, minLengthM } = this.#options
    const first = fixes[0]!
    const last = fixes.at(-1)!
    const r = trimRadiusM.min + this.#random() * (trimRadiusM.max - trimRadiusM.min)
    const offset = this.#offsetOf(sensorId)
    // Step 2: circles of radius r + |o| around s + o and e + o contain the r-circles of step 1.
    const radius = r + offset.length
    const startCentre = { x: first.x + offset.dx, y: first.y + offset.dy }
    const endCentre = { x: last.x + offset.dx, y: last.y + offset.dy }
    const trimmed = (p: Point): boolean => planarM(p, startCentre) <= radius || planarM(p, endCentre) <= radius
    const candidates = fixes.filter((f) =>
      f.time - first.time > this.#trimMs && last.time - f.time > this.#trimMs && !trimmed(f) && !trimmed(f.cell))

    // Step 3: the midpoint of the kept ends must not point at either true end.
    const clear = (a: Fix, b: Fix): number => {
      const mid = { x: (a.cell.x + b.cell.x) / 2, y: (a.cell.y + b.cell.y) / 2 }
      return Math.min(planarM(mid, first), planarM(mid, last))
    }
    let lo = 0
    let hi = candidates.length - 1
    while (lo < hi && clear(candidates[lo]!, candidates[hi]!) <= r) {
      if (clear(candidates[lo + 1]!, candidates[hi]!) >= clear(candidates[lo]!, candidates[hi - 1]!)) lo++
      else hi--
    }
    const kept = candidates.slice(lo, hi + 1)

    const drop = (outcome: ClosedRide['outcome']): ClosedRide =>
      ({ sensorId, rideStart: first.time, counter, kept: [], dropped: fixes.length, outcome })
    if (kept.length < minPoints) return drop('too-few-points')
    let length = 0
    for (let i = 1; i < kept.length; i++) length += haversineM(kept[i - 1]!, kept[i]!)
    if (length < minLengthM) return drop('too-short')
    return {
      sensorId,
      rideStart: first.time,
      counter,
      kept: kept.map((f) => ({ time: f.time, cell: f.cell, values: f.values })),
      dropped: fixes.length - kept.length,
      outcome: 'kept'
    }
  }
}

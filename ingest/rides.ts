import type { KindDefinition } from '../core/kind.js'
import type { CellContribution, GridStore } from '../core/ports/grid-store.js'
import type { Reading } from '../core/reading.js'
import { windowStart } from '../core/windows.js'
import type { Pseudonymizer } from './privacy/pseudonym.js'
import { RideTrimmer, type ClosedRide, type RidePoint } from './privacy/ride-trimmer.js'

/**
 * The ingest stage of a mobile kind (privacy rules 5, 6 and 7). Readings are grouped into
 * fixes and held per device until the ride ends, because its end can only be trimmed once
 * it is known. A closed ride is trimmed, snapped to the grid, and stored only as its
 * contribution to each cell x hour, keyed by pseudonyms from a daily key; coordinates, the
 * ride counter and the sensor id are never stored.
 *
 * Open rides live in memory (bounded by `maxPoints` per device): a reading is acknowledged
 * when its ride holds it, so a crash loses the open rides' fixes. Keeping them durable would
 * mean storing raw coordinates, which rule 5 forbids.
 */
export interface RideStageDeps {
  kind: KindDefinition
  grid: GridStore
  pseudonyms: Pseudonymizer
  random?: () => number
  /** Counts fixes dropped by a privacy rule (`rule`: ride-trim, too-short, too-few-points, no-location, too-late). */
  onDropped?: (rule: string, fixes: number) => void
  onWriteError?: (err: unknown) => void
}

export class RideStage {
  readonly #deps: RideStageDeps
  readonly #trimmer: RideTrimmer
  readonly #rides: NonNullable<KindDefinition['privacy']['rides']>
  /** Closed rides whose write failed, retried on the next sweep. */
  #unwritten: CellContribution[] = []

  constructor (deps: RideStageDeps) {
    const { rides, grid } = deps.kind.privacy
    if (rides === undefined || grid === undefined) throw new Error(`kind ${deps.kind.id} has no rides and grid privacy rules`)
    this.#deps = deps
    this.#rides = rides
    this.#trimmer = new RideTrimmer({ ...rides, cellM: grid.cellM }, deps.random)
  }

  get openRides (): number { return this.#trimmer.openRides }
  get bufferedFixes (): number { return this.#trimmer.bufferedPoints }

  /** Takes the readings of one message; resolves once rides it closed are stored. */
  async push (readings: readonly Reading[]): Promise<void> {
    const closed: ClosedRide[] = []
    for (const point of this.#fixes(readings)) closed.push(...this.#trimmer.push(point))
    await this.#store(closed)
  }

  /** Closes rides that have gone quiet, and retries failed writes. */
  async sweep (now: number): Promise<void> {
    await this.#store(this.#trimmer.closeIdle(now))
  }

  /** Closes and stores every open ride (shutdown). */
  async close (): Promise<void> {
    await this.#store(this.#trimmer.closeAll())
  }

  /** One fix per reading time; a time without both coordinates cannot be placed. */
  #fixes (readings: readonly Reading[]): RidePoint[] {
    const { latField, lonField, counterField } = this.#rides
    const byTime = new Map<number, Map<string, number>>()
    for (const r of readings) {
      const fields = byTime.get(r.time) ?? new Map<string, number>()
      fields.set(r.field, r.value)
      byTime.set(r.time, fields)
    }
    const points: RidePoint[] = []
    for (const [time, fields] of byTime) {
      const lat = fields.get(latField)
      const lon = fields.get(lonField)
      if (lat === undefined || lon === undefined) {
        this.#deps.onDropped?.('no-location', 1)
        continue
      }
      const counter = fields.get(counterField)
      const values: Record<string, number> = {}
      for (const [field, value] of fields) {
        if (this.#deps.kind.fields[field]?.privacy === 'open') values[field] = value
      }
      points.push({ sensorId: readings[0]!.sensorId, time, counter, lat, lon, values })
    }
    return points.sort((a, b) => a.time - b.time)
  }

  async #store (closed: readonly ClosedRide[]): Promise<void> {
    const rows = [...this.#unwritten]
    for (const ride of closed) {
      if (ride.outcome !== 'kept') {
        this.#deps.onDropped?.(ride.outcome, ride.dropped)
        continue
      }
      if (ride.dropped > 0) this.#deps.onDropped?.('ride-trim', ride.dropped)
      try {
        rows.push(...contributions(this.#deps.kind.id, ride, this.#deps.pseudonyms))
      } catch {
        // The day key of a ride this old is forgotten, so it cannot be stored unlinkably.
        this.#deps.onDropped?.('too-late', ride.kept.length)
      }
    }
    if (rows.length === 0) return
    try {
      await this.#deps.grid.writeContributions(rows)
      this.#unwritten = []
    } catch (err) {
      this.#deps.onWriteError?.(err)
      // Bounded: past 100,000 rows the oldest go; they are aggregates of rides, not acked readings.
      this.#unwritten = rows.slice(-100_000)
    }
  }
}

/** A kept ride as its contribution to each (cell, hour, field), with pseudonymous keys. */
export function contributions (kind: string, ride: ClosedRide, pseudonyms: Pseudonymizer): CellContribution[] {
  const rideKey = pseudonyms.pseudonym(`ride\u0000${ride.sensorId}\u0000${ride.rideStart}`, ride.rideStart)
  const deviceKey = pseudonyms.pseudonym(`device\u0000${ride.sensorId}`, ride.rideStart)
  const byKey = new Map<string, CellContribution>()
  for (const point of ride.kept) {
    const start = windowStart('1h', point.time)
    for (const [field, value] of Object.entries(point.values)) {
      const key = `${point.cell.id}\u0000${start}\u0000${field}`
      const row = byKey.get(key)
      if (row === undefined) {
        byKey.set(key, { kind, cell: point.cell.id, start, field, ride: rideKey, device: deviceKey, count: 1, sum: value, min: value, max: value })
      } else {
        row.count++
        row.sum += value
        row.min = Math.min(row.min, value)
        row.max = Math.max(row.max, value)
      }
    }
  }
  return [...byKey.values()]
}

import { SensorstadError } from '../core/errors.js'
import type { CellAggregate, CellContribution, CellQuery, GridStore } from '../core/ports/grid-store.js'
import { DEFAULT_LIMIT } from './query-range.js'
import { compareText } from './series-order.js'

/**
 * The reference implementation of the grid port: plain Maps, no persistence. It is what the
 * conformance suite is written against, and what tests of other modules use.
 *
 * Counting after compaction: a summary keeps only the numbers of distinct rides and devices,
 * so contributions that arrive for a cell-hour after it was compacted are added to those
 * numbers. `devices` then overcounts a device that contributed both before and after, and a
 * ride redelivered after compaction counts twice: the port's "replace by ride" holds only until
 * compaction. Overcounting errs on the side of publishing, so compaction should run only past
 * the kind's allowed lateness, when no contribution of that hour can still arrive.
 */
export class MemoryGridStore implements GridStore {
  /** Keyed by (kind, cell, start, field, ride): a second write of a key replaces the first. */
  readonly #contributions = new Map<string, CellContribution>()
  /** Keyed by (kind, cell, start, field); holds no pseudonym. */
  readonly #summaries = new Map<string, CellAggregate>()
  #closed = false

  async writeContributions (rows: readonly CellContribution[]): Promise<void> {
    this.#assertOpen()
    for (const r of rows) this.#contributions.set(key(r.kind, r.cell, r.start, r.field, r.ride), { ...r })
  }

  async cellAggregates (query: CellQuery): Promise<CellAggregate[]> {
    this.#assertOpen()
    const contributions = [...this.#contributions.values()].filter((c) => matches(c, query))
    const byKey = new Map<string, CellAggregate>()
    for (const s of this.#summaries.values()) {
      if (matches(s, query)) byKey.set(cellHourKey(s), { ...s })
    }
    for (const [k, part] of summarise(contributions)) {
      const whole = byKey.get(k)
      byKey.set(k, whole === undefined ? part : add(whole, part))
    }
    const minRides = query.minRides ?? 1
    const minDevices = query.minDevices ?? 1
    return [...byKey.values()]
      .filter((a) => a.rides >= minRides && a.devices >= minDevices)
      .sort((a, b) => a.start - b.start || compareText(a.cell, b.cell) || compareText(a.field, b.field))
      .slice(0, query.limit ?? DEFAULT_LIMIT)
  }

  async compactBefore (kind: string, before: number): Promise<number> {
    this.#assertOpen()
    const old: CellContribution[] = []
    for (const [k, c] of this.#contributions) {
      if (c.kind === kind && c.start < before) {
        old.push(c)
        this.#contributions.delete(k)
      }
    }
    for (const [k, part] of summarise(old)) {
      const whole = this.#summaries.get(k)
      this.#summaries.set(k, whole === undefined ? part : add(whole, part))
    }
    return old.length
  }

  async ping (): Promise<void> {
    this.#assertOpen()
  }

  async close (): Promise<void> {
    this.#closed = true
  }

  #assertOpen (): void {
    if (this.#closed) throw new SensorstadError('STORE_ERR_UNAVAILABLE', 'The grid store is closed')
  }
}

/** One aggregate per cell-hour of `rows`, counting distinct rides and devices among them. */
function summarise (rows: readonly CellContribution[]): Map<string, CellAggregate> {
  const buckets = new Map<string, { agg: CellAggregate, rides: Set<string>, devices: Set<string> }>()
  for (const c of rows) {
    const k = cellHourKey(c)
    let bucket = buckets.get(k)
    if (bucket === undefined) {
      const { kind, cell, start, field, count, sum, min, max } = c
      bucket = { agg: { kind, cell, start, field, count, sum, min, max, rides: 0, devices: 0 }, rides: new Set(), devices: new Set() }
      buckets.set(k, bucket)
    } else {
      bucket.agg.count += c.count
      bucket.agg.sum += c.sum
      bucket.agg.min = Math.min(bucket.agg.min, c.min)
      bucket.agg.max = Math.max(bucket.agg.max, c.max)
    }
    bucket.rides.add(c.ride)
    bucket.devices.add(c.device)
  }
  const out = new Map<string, CellAggregate>()
  for (const [k, b] of buckets) out.set(k, { ...b.agg, rides: b.rides.size, devices: b.devices.size })
  return out
}

/** Merges two aggregates of one cell-hour; rides and devices add (see the class comment). */
function add (a: CellAggregate, b: CellAggregate): CellAggregate {
  return {
    ...a,
    count: a.count + b.count,
    sum: a.sum + b.sum,
    min: Math.min(a.min, b.min),
    max: Math.max(a.max, b.max),
    rides: a.rides + b.rides,
    devices: a.devices + b.devices
  }
}

function matches (row: { kind: string, cell: string, start: number, field: string }, query: CellQuery): boolean {
  return row.kind === query.kind &&
    row.start >= query.from && row.start < query.to &&
    (query.field === undefined || row.field === query.field) &&
    (query.cells === undefined || query.cells.includes(row.cell))
}

function cellHourKey (row: { kind: string, cell: string, start: number, field: string }): string {
  return key(row.kind, row.cell, row.start, row.field)
}

function key (...parts: ReadonlyArray<string | number>): string {
  return JSON.stringify(parts)
}

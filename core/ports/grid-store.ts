/**
 * Where mobile air-quality data lives (privacy rules 6 and 7): never raw points, only each
 * ride's contribution to a grid cell in an hour, keyed by pseudonyms that rotate daily. The
 * public sees a cell x hour only when enough distinct rides and devices contributed.
 * Implementations: memory reference, DuckDB and PostgreSQL (`store/`); every one passes
 * `test/store/grid-store.conformance.ts`. Times are epoch ms; ranges half-open `[from, to)`.
 */
export interface CellContribution {
  kind: string
  /** Grid cell id, e.g. `rd100m-136900-455800`. */
  cell: string
  /** Start of the UTC hour. */
  start: number
  field: string
  /** Pseudonym of the ride (HMAC with a daily key); never published. */
  ride: string
  /** Pseudonym of the device (HMAC with a daily key); never published. */
  device: string
  count: number
  sum: number
  min: number
  max: number
}

export interface CellAggregate {
  kind: string
  cell: string
  start: number
  field: string
  count: number
  sum: number
  min: number
  max: number
  /** Distinct rides and devices that contributed. */
  rides: number
  devices: number
}

export interface CellQuery {
  kind: string
  field?: string
  cells?: readonly string[]
  from: number
  to: number
  /** Only cell-hours with at least this many distinct rides and devices (default 1 each). */
  minRides?: number
  minDevices?: number
  /** Default 10,000. */
  limit?: number
}

export interface GridStore {
  /**
   * Durable when the promise resolves. Insert or replace by (kind, cell, start, field, ride):
   * a ride processed twice (redelivery) replaces its own contribution and cannot count twice.
   */
  writeContributions (rows: readonly CellContribution[]): Promise<void>
  /** Cell-hour aggregates over every contribution and summary, ordered by start, cell, field. */
  cellAggregates (query: CellQuery): Promise<CellAggregate[]>
  /**
   * Retention: replaces the contributions of `kind` older than `before` by one summary per
   * (cell, start, field) that keeps count, sum, min, max and the numbers of distinct rides and
   * devices, but no pseudonym. `cellAggregates` answers the same before and after. Returns
   * contributions removed.
   */
  compactBefore (kind: string, before: number): Promise<number>
  ping (): Promise<void>
  close (): Promise<void>
}

import type { CellAggregate } from '../core/ports/grid-store.js'

/**
 * A row of the grid stores' aggregate query as the port's CellAggregate. Both engines name
 * the columns alike; numbers may arrive as bigint (DuckDB) or as exact strings (PostgreSQL's
 * bigint and numeric), and Number takes either.
 */
export function toCellAggregate (row: Record<string, unknown>, kind: string): CellAggregate {
  return {
    kind,
    cell: String(row.cell),
    start: Number(row.start),
    field: String(row.field),
    count: Number(row.count),
    sum: Number(row.sum),
    min: Number(row.min),
    max: Number(row.max),
    rides: Number(row.rides),
    devices: Number(row.devices)
  }
}

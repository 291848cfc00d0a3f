import { z } from 'zod'
import type { KindDefinition } from '../core/kind.js'
import type { CellAggregate } from '../core/ports/grid-store.js'
import { cellPolygon } from './grid-cells.js'

/**
 * /v1/air/grid's answer: one polygon per cell over the whole range, ready to colour on a map.
 * /v1/grid gives one row per cell and hour, so a map of a day would stack up to 24 polygons
 * on one cell and show only the top one; here the published hours of a cell are merged.
 * The merge is exact because the store keeps count, sum, min and max per cell-hour, and it
 * uses only cell-hours that passed the privacy thresholds, so it reveals nothing the hourly
 * data does not.
 */
const polygonSchema = z.object({
  type: z.literal('Polygon'),
  coordinates: z.array(z.array(z.tuple([z.number(), z.number()])))
})

export const airCellSchema = z.object({
  cell: z.string().describe('Cell of the Dutch national grid (RD New), as in /v1/grid'),
  field: z.string(),
  unit: z.string(),
  mean: z.number().describe('Mean of every measurement in the cell over the published hours'),
  min: z.number(),
  max: z.number(),
  count: z.number().int().describe('Measurements'),
  hours: z.number().int().describe('Published hours of the cell in the range (each with enough rides and devices)')
}).meta({ id: 'AirCell' })
export type AirCell = z.infer<typeof airCellSchema>

export const airCellCollectionSchema = z.object({
  type: z.literal('FeatureCollection'),
  features: z.array(z.object({ type: z.literal('Feature'), geometry: polygonSchema, properties: airCellSchema })),
  // Foreign members (RFC 7946 section 6.1): what the collection covers and under which rule.
  field: z.string(),
  unit: z.string(),
  from: z.string().describe('RFC 3339, inclusive'),
  to: z.string().describe('RFC 3339, exclusive'),
  minRides: z.number().int(),
  minDevices: z.number().int(),
  truncated: z.boolean().describe('True when more cell-hours matched than one answer reads; narrow the range')
}).meta({ id: 'AirCellCollection' })
export type AirCellCollection = z.infer<typeof airCellCollectionSchema>

/** Merges published cell-hours of one field into one feature per cell, ordered by cell id. */
export function airCellFeatures (kind: KindDefinition, field: string, rows: readonly CellAggregate[]): AirCellCollection['features'] {
  const cells = new Map<string, { count: number, sum: number, min: number, max: number, hours: number }>()
  for (const r of rows) {
    if (r.field !== field) continue
    const cell = cells.get(r.cell)
    if (cell === undefined) {
      cells.set(r.cell, { count: r.count, sum: r.sum, min: r.min, max: r.max, hours: 1 })
    } else {
      cell.count += r.count
      cell.sum += r.sum
      cell.min = Math.min(cell.min, r.min)
      cell.max = Math.max(cell.max, r.max)
      cell.hours += 1
    }
  }
  const unit = kind.fields[field]!.unit
  return [...cells.entries()]
    .sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0)
    .flatMap(([id, c]) => {
      const geometry = cellPolygon(id)
      if (geometry === undefined) return []
      const properties: AirCell = { cell: id, field, unit, mean: c.sum / c.count, min: c.min, max: c.max, count: c.count, hours: c.hours }
      return [{ type: 'Feature' as const, geometry, properties }]
    })
}

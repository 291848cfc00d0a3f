import { z } from 'zod'
import { SensorstadError } from '../core/errors.js'
import { cellFromId, cellPolygonWgs84 } from '../core/grid.js'
import type { KindDefinition } from '../core/kind.js'
import type { CellAggregate, GridStore } from '../core/ports/grid-store.js'

/**
 * What /v1/grid and /v1/air/grid share (privacy rule 6): which kind and field may be asked
 * for, the cell-hours the store may publish under the kind's thresholds, and a cell as a
 * GeoJSON polygon. The thresholds are applied here, once, so the two routes cannot publish
 * different things.
 */
export const gridCellSchema = z.object({
  cell: z.string().describe('Cell of the Dutch national grid (RD New), e.g. rd100m-136900-455800: size, then the lower-left corner in metres'),
  start: z.string().describe('Start of the hour, RFC 3339'),
  field: z.string(),
  unit: z.string(),
  mean: z.number(),
  min: z.number(),
  max: z.number(),
  count: z.number().int().describe('Measurements in the cell and hour')
}).meta({ id: 'GridCell', examples: [{ cell: 'rd100m-136700-455800', start: '2026-11-30T08:00:00.000Z', field: 'pm25', unit: 'ug/m3', mean: 11.4, min: 7.2, max: 18.9, count: 57 }] })
export type GridCellRow = z.infer<typeof gridCellSchema>

export interface GridRules { minRides: number, minDevices: number }

/** The kind's grid rules, or a 400 naming `kind` or `field` when it has no such grid data. */
export function gridKind (kinds: ReadonlyMap<string, KindDefinition>, kindId: string, field: string | undefined): { kind: KindDefinition, rules: GridRules } {
  const kind = kinds.get(kindId)
  const rules = kind?.privacy.grid
  if (kind === undefined || rules === undefined) {
    throw new SensorstadError('API_ERR_VALIDATION', `Kind ${kindId} has no grid data; mobile kinds do (see /v1/kinds)`, 'kind')
  }
  if (field !== undefined && kind.fields[field]?.privacy !== 'open') {
    throw new SensorstadError('API_ERR_VALIDATION', `Field ${field} is not published; open fields: ${Object.entries(kind.fields).filter(([, f]) => f.privacy === 'open').map(([n]) => n).join(', ')}`, 'field')
  }
  return { kind, rules }
}

export interface PublishedQuery { field: string | undefined, from: number, to: number, limit: number }

/** Cell-hours that passed the kind's thresholds, open fields only; ordered by start, cell, field. */
export async function publishedCellHours (grid: GridStore, { kind, rules }: { kind: KindDefinition, rules: GridRules }, query: PublishedQuery): Promise<CellAggregate[]> {
  const rows = await grid.cellAggregates({ kind: kind.id, ...query, minRides: rules.minRides, minDevices: rules.minDevices })
  return rows.filter((r) => kind.fields[r.field]?.privacy === 'open')
}

export function cellHourRow (kind: KindDefinition, r: CellAggregate): GridCellRow {
  return { cell: r.cell, start: new Date(r.start).toISOString(), field: r.field, unit: kind.fields[r.field]!.unit, mean: r.sum / r.count, min: r.min, max: r.max, count: r.count }
}

export interface CellPolygon { type: 'Polygon', coordinates: Array<Array<[number, number]>> }

/** The cell as an RFC 7946 Polygon in WGS 84; undefined for an id that names no cell. */
export function cellPolygon (cellId: string): CellPolygon | undefined {
  const cell = cellFromId(cellId)
  return cell === undefined ? undefined : { type: 'Polygon', coordinates: [cellPolygonWgs84(cell)] }
}

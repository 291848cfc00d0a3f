import { rdToWgs84 } from './rd-new.js'

/**
 * The privacy grid (privacy rule 5, DESIGN.md section 5): a mobile location is stored only as
 * the square RD New cell it falls in, never finer than 100 m (`gridPrivacySchema` in
 * core/kind.ts). The id names the cell's lower-left corner, e.g. `rd100m-136700-455800` is
 * the cell holding the Dom tower in Utrecht, x 136 700-136 800 m, y 455 800-455 900 m.
 */

/** Cells finer than this are refused: the rule's floor, metres. */
export const MIN_CELL_M = 100

export interface GridCell {
  id: string
  /** The cell's centre in RD New metres: the only coordinate a kept point carries. */
  x: number
  y: number
  /** Side of the cell, metres. */
  cellM: number
}

// Corners are negative only outside the Netherlands (RD New is positive on land), but a
// schema-valid fix near the Belgian coast can land there, so the grammar allows a minus.
const ID = /^rd([1-9]\d*)m-(-?\d+)-(-?\d+)$/

function checkCellM (cellM: number): void {
  if (!Number.isSafeInteger(cellM) || cellM < MIN_CELL_M) {
    throw new RangeError(`cellM must be an integer of at least ${MIN_CELL_M} m, got ${cellM}`)
  }
}

function cellAt (x0: number, y0: number, cellM: number): GridCell {
  return { id: `rd${cellM}m-${x0}-${y0}`, x: x0 + cellM / 2, y: y0 + cellM / 2, cellM }
}

/** The cell holding RD point (x, y); a point on a cell edge belongs to the cell east/north of it. */
export function snapToCell (x: number, y: number, cellM: number): GridCell {
  checkCellM(cellM)
  if (!Number.isFinite(x) || !Number.isFinite(y)) throw new RangeError(`RD point (${x}, ${y}) is not finite`)
  return cellAt(Math.floor(x / cellM) * cellM, Math.floor(y / cellM) * cellM, cellM)
}

/** Parses an id made by `snapToCell`; undefined for anything else, including cells under 100 m. */
export function cellFromId (id: string): GridCell | undefined {
  const match = ID.exec(id)
  if (match === null) return undefined
  const cellM = Number(match[1])
  const x0 = Number(match[2])
  const y0 = Number(match[3])
  if (!Number.isSafeInteger(cellM) || cellM < MIN_CELL_M || !Number.isSafeInteger(x0) || !Number.isSafeInteger(y0)) return undefined
  if (x0 % cellM !== 0 || y0 % cellM !== 0) return undefined
  const cell = cellAt(x0, y0, cellM)
  // Leading zeros or "-0" would give a second id for one cell.
  return cell.id === id ? cell : undefined
}

/**
 * The cell as a closed GeoJSON linear ring of [lon, lat] (RFC 7946 section 3.1.6: first and
 * last position equal, exterior ring counter-clockwise), for publishing. 7 decimals is 1 cm,
 * well inside the 1 m accuracy of the conversion (RFC 7946 section 11.2 on precision).
 */
export function cellPolygonWgs84 (cell: GridCell): Array<[number, number]> {
  const h = cell.cellM / 2
  const corners: Array<[number, number]> = [[-h, -h], [h, -h], [h, h], [-h, h]]
  const ring = corners.map(([dx, dy]): [number, number] => {
    const { lat, lon } = rdToWgs84(cell.x + dx, cell.y + dy)
    return [round7(lon), round7(lat)]
  })
  ring.push([ring[0]![0], ring[0]![1]])
  return ring
}

function round7 (degrees: number): number {
  return Math.round(degrees * 1e7) / 1e7
}

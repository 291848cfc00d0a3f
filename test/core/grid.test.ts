import { describe, expect, it } from 'vitest'
import { cellFromId, cellPolygonWgs84, snapToCell } from '../../core/grid.js'
import { wgs84ToRd } from '../../core/rd-new.js'
import { mulberry32 } from '../ingest/privacy/simulated-rides.js'

describe('privacy grid', () => {
  it('puts the Dom tower in rd100m-136700-455800 with its centre as the coordinate', () => {
    const { x, y } = wgs84ToRd(52.0907, 5.1214)
    expect(snapToCell(x, y, 100)).toEqual({ id: 'rd100m-136700-455800', x: 136_750, y: 455_850, cellM: 100 })
    expect(snapToCell(x, y, 1000)).toEqual({ id: 'rd1000m-136000-455000', x: 136_500, y: 455_500, cellM: 1000 })
  })

  it('property: every stored coordinate is a cell centre, within the cell, and ids round-trip', () => {
    const random = mulberry32(1)
    const bad: unknown[] = []
    for (let i = 0; i < 5_000; i++) {
      const cellM = [100, 200, 250, 500, 1000][i % 5]!
      const x = random() * 280_000
      const y = 300_000 + random() * 325_000
      const cell = snapToCell(x, y, cellM)
      const back = cellFromId(cell.id)
      const ok = (cell.x - cellM / 2) % cellM === 0 && (cell.y - cellM / 2) % cellM === 0 &&
        Math.abs(cell.x - x) <= cellM / 2 && Math.abs(cell.y - y) <= cellM / 2 &&
        back !== undefined && back.id === cell.id && back.x === cell.x && back.y === cell.y && back.cellM === cellM
      if (!ok) bad.push({ x, y, cellM, cell, back })
    }
    expect(bad).toEqual([])
  })

  it('gives a point on a cell edge to the cell east and north of it', () => {
    expect(snapToCell(136_800, 455_900, 100).id).toBe('rd100m-136800-455900')
  })

  it('refuses cells finer than 100 m, as the privacy rule does', () => {
    expect(() => snapToCell(1, 1, 50)).toThrow(RangeError)
    expect(() => snapToCell(1, 1, 100.5)).toThrow(RangeError)
    expect(cellFromId('rd50m-136700-455800')).toBeUndefined()
  })

  it('reads no id it would not write', () => {
    for (const id of ['rd100m-136750-455800', 'rd100m-0136700-455800', 'rd0100m-136700-455800', 'rd100m-136700', 'RD100m-136700-455800', 'rd100m-136700-455800 ', 'rd100m--0-455800']) {
      expect(cellFromId(id), id).toBeUndefined()
    }
    expect(cellFromId('rd100m--200-281100')).toEqual({ id: 'rd100m--200-281100', x: -150, y: 281_150, cellM: 100 })
  })

  it('publishes a cell as a closed counter-clockwise lon/lat ring of its corners', () => {
    const ring = cellPolygonWgs84(cellFromId('rd100m-136700-455800')!)
    expect(ring).toHaveLength(5)
    expect(ring[4]).toEqual(ring[0])
    for (const [lon, lat] of ring) {
      expect(lon).toBeGreaterThan(5.11)
      expect(lon).toBeLessThan(5.13)
      expect(lat).toBeGreaterThan(52.08)
      expect(lat).toBeLessThan(52.1)
    }
    // Corners map back to the cell's corners within a metre.
    const corners = ring.slice(0, 4).map(([lon, lat]) => wgs84ToRd(lat, lon))
    const expected = [[136_700, 455_800], [136_800, 455_800], [136_800, 455_900], [136_700, 455_900]]
    corners.forEach((c, i) => expect(Math.hypot(c.x - expected[i]![0]!, c.y - expected[i]![1]!)).toBeLessThan(1))
    // Shoelace: a positive signed area is counter-clockwise (RFC 7946 section 3.1.6).
    let twice = 0
    for (let i = 0; i < 4; i++) twice += ring[i]![0] * ring[i + 1]![1] - ring[i + 1]![0] * ring[i]![1]
    expect(twice).toBeGreaterThan(0)
  })
})

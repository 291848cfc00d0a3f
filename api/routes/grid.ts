import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { SensorstadError } from '../../core/errors.js'
import { cellFromId, cellPolygonWgs84 } from '../../core/grid.js'
import { toCsv } from '../csv.js'
import { timeParam } from '../schemas.js'

/**
 * Open data of mobile sensors (privacy rule 6): one value per grid cell and hour, published
 * only where enough distinct rides and devices contributed. Nothing per ride or per device
 * exists to publish; the same answer for every role.
 */
const DAY_MS = 86_400_000
const CSV_COLUMNS = ['cell', 'start', 'field', 'unit', 'mean', 'min', 'max', 'count'] as const

const cellRow = z.object({
  cell: z.string().describe('Cell of the Dutch national grid (RD New), e.g. rd100m-136900-455800: size, then the lower-left corner in metres'),
  start: z.string().describe('Start of the hour, RFC 3339'),
  field: z.string(),
  unit: z.string(),
  mean: z.number(),
  min: z.number(),
  max: z.number(),
  count: z.number().int().describe('Measurements in the cell and hour')
}).meta({ id: 'GridCell' })

const gridRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get('/v1/grid', {
    schema: {
      tags: ['open data'],
      summary: 'Air quality of mobile sensors per 100 m grid cell and hour',
      description: 'A cell and hour is published only when enough distinct rides and devices contributed (see the kind\'s privacy rules at /v1/kinds). `format=geojson` answers a FeatureCollection of cell polygons (RFC 7946, WGS 84); `format=csv` RFC 4180 CSV.',
      querystring: z.object({
        kind: z.string().default('snuffelfiets'),
        field: z.string().optional(),
        from: timeParam.optional().describe('Default 24 hours before `to`'),
        to: timeParam.optional().describe('Default now'),
        format: z.enum(['json', 'geojson', 'csv']).default('json'),
        limit: z.coerce.number().int().positive().max(100_000).default(10_000)
      }),
      response: { 200: z.object({ data: z.array(cellRow), minRides: z.number().int(), minDevices: z.number().int() }).describe('JSON; GeoJSON or CSV with format') }
    }
  }, async (request, reply) => {
    const q = request.query
    const kind = app.deps.registry.kinds.get(q.kind)
    const rules = kind?.privacy.grid
    if (kind === undefined || rules === undefined) {
      throw new SensorstadError('API_ERR_VALIDATION', `Kind ${q.kind} has no grid data; mobile kinds do (see /v1/kinds)`, 'kind')
    }
    if (q.field !== undefined && kind.fields[q.field]?.privacy !== 'open') {
      throw new SensorstadError('API_ERR_VALIDATION', `Field ${q.field} is not published; open fields: ${Object.entries(kind.fields).filter(([, f]) => f.privacy === 'open').map(([n]) => n).join(', ')}`, 'field')
    }
    const to = q.to ?? app.deps.now?.() ?? Date.now()
    const from = q.from ?? to - DAY_MS
    const rows = await app.deps.grid.cellAggregates({ kind: kind.id, field: q.field, from, to, minRides: rules.minRides, minDevices: rules.minDevices, limit: q.limit })
    const data = rows
      .filter((r) => kind.fields[r.field]?.privacy === 'open')
      .map((r) => ({ cell: r.cell, start: new Date(r.start).toISOString(), field: r.field, unit: kind.fields[r.field]!.unit, mean: r.sum / r.count, min: r.min, max: r.max, count: r.count }))
    reply.header('cache-control', 'public, max-age=300')
    if (q.format === 'csv') {
      reply.type('text/csv; charset=utf-8; header=present')
      return reply.send(toCsv(CSV_COLUMNS, data) as never)
    }
    if (q.format === 'geojson') {
      reply.type('application/geo+json')
      const features = data.flatMap((row) => {
        const cell = cellFromId(row.cell)
        return cell === undefined ? [] : [{ type: 'Feature', geometry: { type: 'Polygon', coordinates: [cellPolygonWgs84(cell)] }, properties: row }]
      })
      return reply.send(JSON.stringify({ type: 'FeatureCollection', features }) as never)
    }
    return { data, minRides: rules.minRides, minDevices: rules.minDevices }
  })
}
export default gridRoutes

import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { toCsv } from '../csv.js'
import { cellHourRow, cellPolygon, gridCellSchema, gridKind, publishedCellHours } from '../grid-cells.js'
import { timeParam } from '../schemas.js'

/**
 * Open data of mobile sensors (privacy rule 6): one value per grid cell and hour, published
 * only where enough distinct rides and devices contributed. Nothing per ride or per device
 * exists to publish; the same answer for every role.
 */
const DAY_MS = 86_400_000
const CSV_COLUMNS = ['cell', 'start', 'field', 'unit', 'mean', 'min', 'max', 'count'] as const

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
      response: { 200: z.object({ data: z.array(gridCellSchema), minRides: z.number().int(), minDevices: z.number().int() }).describe('JSON; GeoJSON or CSV with format') }
    }
  }, async (request, reply) => {
    const q = request.query
    const grid = gridKind(app.deps.registry.kinds, q.kind, q.field)
    const to = q.to ?? app.deps.now?.() ?? Date.now()
    const from = q.from ?? to - DAY_MS
    const rows = await publishedCellHours(app.deps.grid, grid, { field: q.field, from, to, limit: q.limit })
    const data = rows.map((r) => cellHourRow(grid.kind, r))
    reply.header('cache-control', 'public, max-age=300')
    if (q.format === 'csv') {
      reply.type('text/csv; charset=utf-8; header=present')
      return reply.send(toCsv(CSV_COLUMNS, data) as never)
    }
    if (q.format === 'geojson') {
      reply.type('application/geo+json')
      const features = data.flatMap((row) => {
        const geometry = cellPolygon(row.cell)
        return geometry === undefined ? [] : [{ type: 'Feature', geometry, properties: row }]
      })
      return reply.send(JSON.stringify({ type: 'FeatureCollection', features }) as never)
    }
    return { data, minRides: grid.rules.minRides, minDevices: grid.rules.minDevices }
  })
}
export default gridRoutes

import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { loadConfig } from '../../core/config.js'
import { SensorstadError } from '../../core/errors.js'
import { airCellCollectionSchema, airCellFeatures } from '../air-cells.js'
import { gridKind, publishedCellHours } from '../grid-cells.js'
import { timeParam } from '../schemas.js'
import { dashboardCsp } from './dashboard.js'

/**
 * Air quality from the bicycles for a map: `/v1/air/grid`, the published grid cells of the
 * snuffelfiets kind as one GeoJSON polygon per cell (the same cell-hours and thresholds as
 * /v1/grid, through api/grid-cells.ts), and `/map/air`, a public page that draws them.
 *
 * The page is static HTML and one ES module from `api/map/`; Leaflet, the shared helpers
 * and the stylesheet are the dashboards' (`/dashboard/vendor/`, `/dashboard/common.js`), so
 * there is one copy of each, and its CSP is the dashboards' too: our scripts and styles
 * only, images from us and the base map's tile host, fetch to this API. It needs no token.
 */
const MAP_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'map')
const KIND = 'snuffelfiets'
const DAY_MS = 86_400_000
/** Cell-hours read for one answer, as /v1/grid's largest `limit`: a day of about 4,000 cells. */
const MAX_CELL_HOURS = 100_000
/** A map of more than about a month of hours answers slowly and says little per cell. */
const MAX_RANGE_MS = 31 * DAY_MS

const PAGE_FILES: Array<[path: string, file: string, type: string]> = [
  ['/map/air', 'air.html', 'text/html; charset=utf-8'],
  ['/map/air.js', 'air.js', 'text/javascript; charset=utf-8'],
  ['/map/air.css', 'air.css', 'text/css; charset=utf-8']
]

const airRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get('/v1/air/grid', {
    schema: {
      tags: ['open data'],
      summary: 'Air quality from bicycles per 100 m grid cell, as GeoJSON for a map',
      description: 'The cells of /v1/grid?kind=snuffelfiets (same cell-hours, same thresholds of distinct rides and devices), merged over the range into one RFC 7946 Polygon feature per cell (WGS 84, application/geo+json): mean, min and max over every measurement of the published hours, and how many hours. `from`, `to`, `minRides`, `minDevices` and `truncated` are foreign members of the collection.',
      querystring: z.object({
        field: z.string().default('pm25').describe('An open field of the snuffelfiets kind (see /v1/kinds)'),
        from: timeParam.optional().describe('Default 24 hours before `to`'),
        to: timeParam.optional().describe('Default now; at most 31 days after `from`')
      }),
      response: { 200: airCellCollectionSchema.describe('application/geo+json') }
    }
  }, async (request, reply) => {
    const q = request.query
    const grid = gridKind(app.deps.registry.kinds, KIND, q.field)
    const to = q.to ?? app.deps.now?.() ?? Date.now()
    const from = q.from ?? to - DAY_MS
    if (from >= to) throw new SensorstadError('API_ERR_VALIDATION', '`from` must be before `to`', 'from')
    if (to - from > MAX_RANGE_MS) throw new SensorstadError('API_ERR_VALIDATION', 'At most 31 days per answer; for longer periods use /v1/grid', 'to')
    const rows = await publishedCellHours(app.deps.grid, grid, { field: q.field, from, to, limit: MAX_CELL_HOURS + 1 })
    const truncated = rows.length > MAX_CELL_HOURS
    // geo+json holds "json", so Fastify still serialises through the response schema: the allowlist.
    reply.type('application/geo+json').header('cache-control', 'public, max-age=300')
    return {
      type: 'FeatureCollection' as const,
      features: airCellFeatures(grid.kind, q.field, rows.slice(0, MAX_CELL_HOURS)),
      field: q.field,
      unit: grid.kind.fields[q.field]!.unit,
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      minRides: grid.rules.minRides,
      minDevices: grid.rules.minDevices,
      truncated
    }
  })

  const csp = dashboardCsp(app.deps.dashboard?.tileUrl ?? loadConfig({}).DASHBOARD_TILE_URL)
  for (const [path, file, type] of PAGE_FILES) {
    const body = readFileSync(join(MAP_DIR, file))
    // Hidden from OpenAPI like the other pages; revalidated on each load (the ETag plugin
    // makes that a 304), so a deploy reaches an open page at its next reload.
    app.get(path, { schema: { hide: true } }, async (_request, reply) => reply
      .type(type)
      .header('cache-control', 'no-cache')
      .header('content-security-policy', csp)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'same-origin')
      .send(body))
  }
}
export default airRoutes

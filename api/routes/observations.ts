import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { SensorstadError } from '../../core/errors.js'
import { applyFn, type Reading } from '../../core/reading.js'
import { observationListSchema, observationQuerySchema, type Observation } from '../schemas.js'
import { toCsv } from '../csv.js'
import { finalBefore } from '../final-windows.js'
import { cursorParam, nextPageUrl, rangesAfter } from '../observation-cursor.js'
import { observationFeatures, type ObservationFeatureCollection } from '../observation-geojson.js'
import { optionalPrincipal } from '../plugins/auth.js'
import { openFields, publicSensors, type Audience } from '../open-data.js'

/**
 * Open data: readings and aggregates of public sensors, in JSON, CSV (RFC 4180) or GeoJSON
 * (RFC 7946). Only fields of privacy class `open` are published; locations and ride counters
 * never are (a GeoJSON point is the sensor's registered place, not a reading). Pages of at
 * most `limit` rows, linked by an opaque cursor (api/observation-cursor.ts).
 */
const DAY_MS = 86_400_000
const CSV_COLUMNS = ['sensorId', 'kind', 'field', 'unit', 'time', 'value', 'window', 'fn', 'count'] as const

const querySchema = observationQuerySchema.extend({
  format: z.enum(['json', 'csv', 'geojson']).default('json'),
  cursor: cursorParam.optional().describe('Where the page starts: copy it from the `next` link of the previous page, do not build it')
})

const pageSchema = observationListSchema.extend({
  next: z.string().optional().describe('The next page (same query, pinned `from` and `to`, and a `cursor`), relative to this URL; absent on the last page. Also in the `Link` header (RFC 8288, rel="next") for every format.')
})

const observationsRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get('/v1/observations', {
    schema: {
      tags: ['open data'],
      summary: 'Readings, or aggregates per window, of public fixed sensors',
      description: 'Raw readings by default; with `window`, one value per sensor, field and window computed with `fn`. `format=csv` answers RFC 4180 CSV with a header row; `format=geojson` an RFC 7946 FeatureCollection (application/geo+json) with one Point per row at the sensor\'s registered location (null geometry for a sensor without one) and the row as properties. Rows are ordered by sensor, field and time; when more than `limit` match, the answer has `truncated: true`, a `next` URL and a `Link: <...>; rel="next"` header (CSV: the header only). Crowd counts are published per zone at /v1/crowd (exact per monitor here with an enforcement token); mobile sensors per grid cell at /v1/grid.',
      querystring: querySchema,
      response: { 200: pageSchema.describe('JSON; with format=csv, text/csv with the same columns; with format=geojson, a FeatureCollection with `truncated` and `next` as foreign members') }
    }
  }, async (request, reply) => {
    const q = request.query
    const now = app.deps.now?.() ?? Date.now()
    const to = q.to ?? now
    const from = q.from ?? to - DAY_MS
    if (from >= to) throw new SensorstadError('API_ERR_VALIDATION', '`from` must be before `to`', 'from')
    const principal = await optionalPrincipal(request, reply)
    const audience: Audience = principal?.role === 'enforcement' || principal?.role === 'admin' ? 'crowd-exact' : 'public'
    const sensors = publicSensors(app.deps.registry, { sensor: q.sensor, kind: q.kind }, audience)
    const byId = new Map(sensors.map((s) => [s.id, s]))
    const fields = openFields(app.deps.registry.kinds, sensors, q.field)

    // Each query may hold the whole page plus one; the union holds the first limit + 1 rows
    // after the cursor, so the one extra tells whether a next page exists.
    const rows: Array<{ row: Observation, time: number }> = []
    for (const { kind, field, unit } of fields) {
      // Windows the rollup has made final come from stored aggregates alone (api/final-windows.ts).
      const definition = app.deps.registry.kinds.get(kind)
      const final = definition === undefined ? {} : { finalBefore: finalBefore(definition, now) }
      const kindSensorIds = sensors.filter((s) => s.kind === kind).map((s) => s.id)
      for (const { sensorIds, from: start } of rangesAfter(kindSensorIds, field, from, to, q.cursor)) {
        const range = { kind, field, sensorIds, from: start, to, limit: q.limit + 1 }
        if (q.window === undefined) {
          for (const r of await app.deps.store.readings(range)) rows.push({ row: readingRow(r, unit), time: r.time })
        } else {
          for (const a of await app.deps.store.aggregates({ ...range, window: q.window, ...final })) {
            rows.push({ row: { sensorId: a.sensorId, kind: a.kind, field: a.field, unit, time: new Date(a.start).toISOString(), value: applyFn(a, q.fn), window: a.window, fn: q.fn, count: a.count }, time: a.start })
          }
        }
      }
    }
    rows.sort((a, b) => compare(a.row.sensorId, b.row.sensorId) || compare(a.row.field, b.row.field) || a.time - b.time)
    const truncated = rows.length > q.limit
    const page = rows.slice(0, q.limit)
    const last = page.at(-1)
    const next = truncated && last !== undefined
      ? nextPageUrl(request.url, { sensorId: last.row.sensorId, field: last.row.field, time: last.time }, from, to)
      : undefined
    const data = page.map(({ row }) => row).filter((row) => byId.has(row.sensorId))

    reply.header('cache-control', principal === undefined ? 'public, max-age=30' : 'no-store').header('vary', 'authorization')
    if (next !== undefined) reply.header('link', `<${next}>; rel="next"`)
    if (q.format === 'csv') {
      reply.type('text/csv; charset=utf-8; header=present')
      if (truncated) reply.header('x-truncated', 'true')
      // A string body with its own content type bypasses the JSON serializer.
      return reply.send(toCsv(CSV_COLUMNS, data) as never)
    }
    if (q.format === 'geojson') {
      // Properties are the rows built above from the Observation shape, so nothing beyond
      // the JSON answer's allowlist goes out; the string bypasses that (JSON-only) schema.
      const body: ObservationFeatureCollection = { type: 'FeatureCollection', features: observationFeatures(data, byId, (id) => app.deps.registry.getZone(id)), truncated, ...(next !== undefined ? { next } : {}) }
      reply.type('application/geo+json')
      return reply.send(JSON.stringify(body) as never)
    }
    return { data, truncated, ...(next !== undefined ? { next } : {}) }
  })
}

function readingRow (r: Reading, unit: string): Observation {
  return { sensorId: r.sensorId, kind: r.kind, field: r.field, unit, time: new Date(r.time).toISOString(), value: r.value }
}

function compare (a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

export default observationsRoutes

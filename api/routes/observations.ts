import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { SensorstadError } from '../../core/errors.js'
import { applyFn, type Reading } from '../../core/reading.js'
import { observationListSchema, observationQuerySchema, type Observation } from '../schemas.js'
import { toCsv } from '../csv.js'
import { optionalPrincipal } from '../plugins/auth.js'
import { openFields, publicSensors, type Audience } from '../open-data.js'

/**
 * Open data: readings and aggregates of public sensors, in JSON or CSV (RFC 4180). Only
 * fields of privacy class `open` are published; locations and ride counters never are.
 */
const DAY_MS = 86_400_000
const CSV_COLUMNS = ['sensorId', 'kind', 'field', 'unit', 'time', 'value', 'window', 'fn', 'count'] as const

const observationsRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get('/v1/observations', {
    schema: {
      tags: ['open data'],
      summary: 'Readings, or aggregates per window, of public fixed sensors',
      description: 'Raw readings by default; with `window`, one value per sensor, field and window computed with `fn`. `format=csv` answers RFC 4180 CSV with a header row. Crowd counts are published per zone at /v1/crowd (exact per monitor here with an enforcement token); mobile sensors per grid cell at /v1/grid.',
      querystring: observationQuerySchema,
      response: { 200: observationListSchema.describe('JSON; with format=csv, text/csv with the same columns') }
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

    const rows: Observation[] = []
    for (const { kind, field, unit } of fields) {
      const sensorIds = sensors.filter((s) => s.kind === kind).map((s) => s.id)
      const range = { kind, field, sensorIds, from, to, limit: q.limit + 1 }
      if (q.window === undefined) {
        for (const r of await app.deps.store.readings(range)) rows.push(readingRow(r, unit))
      } else {
        for (const a of await app.deps.store.aggregates({ ...range, window: q.window })) {
          rows.push({ sensorId: a.sensorId, kind: a.kind, field: a.field, unit, time: new Date(a.start).toISOString(), value: applyFn(a, q.fn), window: a.window, fn: q.fn, count: a.count })
        }
      }
    }
    rows.sort((a, b) => compare(a.sensorId, b.sensorId) || compare(a.field, b.field) || compare(a.time, b.time))
    const truncated = rows.length > q.limit
    const data = rows.slice(0, q.limit).filter((row) => byId.has(row.sensorId))

    reply.header('cache-control', principal === undefined ? 'public, max-age=30' : 'no-store').header('vary', 'authorization')
    if (q.format === 'csv') {
      reply.type('text/csv; charset=utf-8; header=present')
      if (truncated) reply.header('x-truncated', 'true')
      // A string body with its own content type bypasses the JSON serializer.
      return reply.send(toCsv(CSV_COLUMNS, data) as never)
    }
    return { data, truncated }
  })
}

function readingRow (r: Reading, unit: string): Observation {
  return { sensorId: r.sensorId, kind: r.kind, field: r.field, unit, time: new Date(r.time).toISOString(), value: r.value }
}

function compare (a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

export default observationsRoutes

import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { loadConfig } from '../../core/config.js'
import { pointSchema } from '../../core/sensor.js'
import { buildCollectionList, type BinInput } from '../collection/build-collection-list.js'
import { PREDICTION_WINDOW_MS, type LevelPoint } from '../collection/predict-full.js'
import { toCsv } from '../csv.js'
import type { AppDeps } from '../deps.js'

/**
 * The waste collection list for operations (issue item 7): bins full now or predicted full
 * within the horizon, in nearest-neighbour order from the depot. Locations come from the
 * register, levels from each bin's `fillingLevel` readings of the last 48 hours.
 */
const KIND = 'wastebin'
const FIELD = 'fillingLevel'
/** Readings may lie up to INGEST_MAX_FUTURE_S (default 5 min) ahead of the clock; they count. */
const FUTURE_MARGIN_MS = 600_000
/** Hourly reports of a few thousand bins over 48 h fit with room; a round is far smaller. */
const MAX_READINGS = 1_000_000
const CSV_COLUMNS = ['order', 'id', 'name', 'lat', 'lon', 'fillingLevel', 'reason', 'fullAt', 'lastReport'] as const

const querySchema = z.object({
  threshold: z.coerce.number().min(1).max(100).optional().describe('Filling level (%) at which a bin is full; default COLLECTION_THRESHOLD_PCT'),
  horizon: z.coerce.number().min(0).max(24 * 14).optional().describe('Also list bins predicted full within this many hours; default COLLECTION_HORIZON_H, 0 for full bins only'),
  format: z.enum(['json', 'csv', 'geojson']).default('json')
})

const binSchema = z.object({
  id: z.string(),
  name: z.string(),
  location: pointSchema,
  fillingLevel: z.number().describe('Latest reading, %'),
  lastReport: z.string().describe('Time of the latest reading, RFC 3339'),
  fullAt: z.string().nullable().describe('RFC 3339. Full: since when. Predicted: when the current fill rate reaches the threshold. Null when not rising'),
  ratePctPerHour: z.number().describe('Least-squares fill rate since the last emptying, over at most 48 hours'),
  reason: z.enum(['full', 'predicted']),
  order: z.number().int().positive().describe('Place in the round, 1 first'),
  distanceFromPreviousM: z.number().int().describe('Straight line from the depot or the previous bin, metres')
}).meta({ id: 'CollectionBin' })
type CollectionBin = z.infer<typeof binSchema>

const responseSchema = z.object({
  depot: pointSchema,
  threshold: z.number(),
  horizonHours: z.number(),
  bins: z.array(binSchema),
  totalDistanceM: z.number().int().describe('Depot to the last bin along the round, straight lines; the way back not counted')
}).meta({ id: 'CollectionList' })

type CollectionSettings = NonNullable<AppDeps['collection']>

/** The config defaults, from the one config schema, for an app built without `collection`. */
function defaultSettings (): CollectionSettings {
  const config = loadConfig({})
  return {
    depot: { lat: config.COLLECTION_DEPOT_LAT, lon: config.COLLECTION_DEPOT_LON },
    thresholdPct: config.COLLECTION_THRESHOLD_PCT,
    horizonH: config.COLLECTION_HORIZON_H
  }
}

const iso = (ms: number) => new Date(Math.round(ms)).toISOString()

const collectionRoutes: FastifyPluginAsyncZod = async (app) => {
  const settings = app.deps.collection ?? defaultSettings()

  app.get('/v1/collection', {
    preValidation: app.requireRole('operations', 'admin'),
    schema: {
      tags: ['operations'],
      summary: 'Waste bins to empty, in route order',
      description: 'Registered waste bins with a location that are at or above `threshold` now (`full`) or predicted to reach it within `horizon` hours (`predicted`), from each bin\'s fill rate since its last emptying. Ordered by nearest neighbour from the depot. `format=csv` answers RFC 4180 CSV; `format=geojson` a FeatureCollection of points (RFC 7946) with the list\'s settings as foreign members. Role operations or admin.',
      security: [{ bearer: [] }],
      querystring: querySchema,
      response: { 200: responseSchema.describe('JSON; CSV or GeoJSON with format') }
    }
  }, async (request, reply) => {
    const q = request.query
    const threshold = q.threshold ?? settings.thresholdPct
    const horizonHours = q.horizon ?? settings.horizonH
    const now = app.deps.now?.() ?? Date.now()

    const sensors = app.deps.registry.listSensors().filter((s) => s.kind === KIND && s.location !== undefined)
    const sensorIds = sensors.map((s) => s.id)
    const readings = sensorIds.length === 0
      ? []
      : await app.deps.store.readings({ kind: KIND, field: FIELD, sensorIds, from: now - PREDICTION_WINDOW_MS, to: now + FUTURE_MARGIN_MS, limit: MAX_READINGS })
    // A bin silent for longer than the window still has a level: its last one, however old.
    const silent = new Set(sensorIds)
    for (const r of readings) silent.delete(r.sensorId)
    const older = silent.size === 0 ? [] : await app.deps.store.latest({ kind: KIND, field: FIELD, sensorIds: [...silent] })

    const bySensor = new Map<string, LevelPoint[]>()
    for (const r of [...readings, ...older]) {
      const list = bySensor.get(r.sensorId) ?? []
      list.push({ time: r.time, value: r.value })
      bySensor.set(r.sensorId, list)
    }
    const bins: BinInput[] = sensors.map((s) => ({ id: s.id, name: s.name, location: { lat: s.location!.lat, lon: s.location!.lon }, readings: bySensor.get(s.id) ?? [] }))
    const list = buildCollectionList(bins, { depot: settings.depot, threshold, horizonH: horizonHours, now })

    const data: CollectionBin[] = list.bins.map((b) => ({
      id: b.id,
      name: b.name,
      location: b.location,
      fillingLevel: b.fillingLevel,
      lastReport: iso(b.lastReport),
      fullAt: b.fullAt === null ? null : iso(b.fullAt),
      ratePctPerHour: Math.round(b.ratePctPerHour * 1000) / 1000,
      reason: b.reason,
      order: b.order,
      distanceFromPreviousM: Math.round(b.distanceFromPreviousM)
    }))
    const answer = { depot: settings.depot, threshold, horizonHours, bins: data, totalDistanceM: Math.round(list.totalDistanceM) }

    reply.header('cache-control', 'no-store')
    if (q.format === 'csv') {
      reply.type('text/csv; charset=utf-8; header=present')
      return reply.send(toCsv(CSV_COLUMNS, data.map((b) => ({ ...b, lat: b.location.lat, lon: b.location.lon }))) as never)
    }
    if (q.format === 'geojson') {
      reply.type('application/geo+json')
      const features = data.map(({ location, ...properties }) => ({
        type: 'Feature',
        // RFC 7946 section 3.1.1: longitude first.
        geometry: { type: 'Point', coordinates: [location.lon, location.lat] },
        properties
      }))
      // RFC 7946 section 6.1: foreign members carry the settings the list was made with.
      const { depot, totalDistanceM } = answer
      return reply.send(JSON.stringify({ type: 'FeatureCollection', depot, threshold, horizonHours, totalDistanceM, features }) as never)
    }
    return answer
  })
}
export default collectionRoutes

import type { FastifyReply } from 'fastify'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { publicSensorSchema } from '../../core/sensor.js'
import { lastReportedOf, mayShowLastReported, type LastReported } from '../pages/last-reported.js'
import { CONTENT_SECURITY_POLICY } from '../pages/layout.js'
import { sensorListPage } from '../pages/sensor-list-page.js'
import { sensorNotFoundPage, sensorPage } from '../pages/sensor-page.js'

/**
 * Resident pages (privacy rule 12): `/s/:id`, short enough for a QR code on the device, and
 * `/sensors`, the whole register. Server-rendered HTML, no script.
 *
 * Hidden from OpenAPI: the document at /docs describes the machine contract (JSON, CSV,
 * problem+json), and listing HTML pages there would make their markup look like an API to
 * build on. Everything these pages show is in `/v1/sensors` and `/v1/kinds`, which are
 * described there.
 */

/**
 * An HTML form sends `?kind=` for "all", and a hand-typed URL may repeat a parameter; a
 * resident page treats both as "no filter" rather than answering with problem+json.
 */
const filterParam = z.string().optional().catch(undefined).transform((v) => v === '' ? undefined : v)

function sendHtml (reply: FastifyReply, status: number, body: string): FastifyReply {
  return reply.status(status)
    .type('text/html; charset=utf-8')
    // Register entries change rarely; a minute keeps a crowd scanning one QR code cheap.
    .header('cache-control', 'public, max-age=60')
    .header('content-security-policy', CONTENT_SECURITY_POLICY)
    .header('x-content-type-options', 'nosniff')
    .send(body)
}

const pagesRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get('/s/:id', {
    schema: { hide: true, params: z.object({ id: z.string() }) }
  }, async (request, reply) => {
    const { registry, store } = app.deps
    const found = registry.getSensor(request.params.id)
    const kind = found === undefined ? undefined : registry.kinds.get(found.kind)
    if (found === undefined || kind === undefined) return sendHtml(reply, 404, sensorNotFoundPage(request.params.id))
    // The allowlist of what residents may see, applied here too, so a field added to the
    // register entry later cannot reach the page by accident.
    const sensor = publicSensorSchema.parse(found)
    let lastReported: LastReported = { state: 'hidden' }
    if (mayShowLastReported(kind)) {
      try {
        const now = app.deps.now?.() ?? Date.now()
        lastReported = lastReportedOf(kind, await store.latest({ sensorIds: [sensor.id] }), now)
      } catch (err) {
        // The register part matters more than a timestamp: the page stays up when the store is down.
        request.log.warn({ err }, 'sensor page: latest reading unavailable')
        lastReported = { state: 'unknown' }
      }
    }
    const zone = sensor.zoneId === undefined ? undefined : registry.getZone(sensor.zoneId)
    return sendHtml(reply, 200, sensorPage({ sensor, kind, zone, lastReported }))
  })

  app.get('/sensors', {
    schema: { hide: true, querystring: z.object({ kind: filterParam, zone: filterParam }) }
  }, async (request, reply) => {
    const { registry } = app.deps
    const { kind, zone } = request.query
    const all = registry.listSensors()
    const sensors = all
      .filter((s) => kind === undefined || s.kind === kind)
      // A moving sensor is never shown in an area, even if its entry names one.
      .filter((s) => zone === undefined || (s.zoneId === zone && registry.kinds.get(s.kind)?.placement !== 'mobile'))
      .map((s) => publicSensorSchema.parse(s))
      .sort((a, b) => a.name.localeCompare(b.name, 'nl') || a.id.localeCompare(b.id))
    return sendHtml(reply, 200, sensorListPage({
      sensors,
      total: all.length,
      kinds: [...registry.kinds.values()],
      zones: registry.listZones(),
      selected: { kind, zone }
    }))
  })
}
export default pagesRoutes

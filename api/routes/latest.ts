import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { observationSchema } from '../schemas.js'
import { optionalPrincipal } from '../plugins/auth.js'
import { openFields, publicSensors, type Audience } from '../open-data.js'

/** The newest value of every open field of every public sensor. */
const latestRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get('/v1/latest', {
    schema: {
      tags: ['open data'],
      summary: 'Latest value of every open field of public sensors',
      querystring: z.object({ kind: z.string().optional(), sensor: z.string().optional().describe('Sensor id, or several separated by commas') }),
      response: { 200: z.object({ data: z.array(observationSchema) }) }
    }
  }, async (request, reply) => {
    const principal = await optionalPrincipal(request, reply)
    const audience: Audience = principal?.role === 'enforcement' || principal?.role === 'admin' ? 'crowd-exact' : 'public'
    const sensors = publicSensors(app.deps.registry, request.query, audience)
    const fields = openFields(app.deps.registry.kinds, sensors, undefined)
    const unitOf = new Map(fields.map((f) => [`${f.kind}/${f.field}`, f.unit]))
    const readings = sensors.length === 0 ? [] : await app.deps.store.latest({ kind: request.query.kind, sensorIds: sensors.map((s) => s.id) })
    reply.header('cache-control', principal === undefined ? 'public, max-age=10' : 'no-store').header('vary', 'authorization')
    return {
      data: readings
        .filter((r) => unitOf.has(`${r.kind}/${r.field}`))
        .map((r) => ({ sensorId: r.sensorId, kind: r.kind, field: r.field, unit: unitOf.get(`${r.kind}/${r.field}`)!, time: new Date(r.time).toISOString(), value: r.value }))
    }
  })
}
export default latestRoutes

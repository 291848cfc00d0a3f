import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { publicSensorSchema } from '../../core/sensor.js'

/**
 * The public register: every sensor, what it measures, why, who owns it and how long its
 * data is kept. The response schema is the allowlist; secrets live elsewhere entirely.
 */
const sensorsRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get('/v1/sensors', {
    schema: {
      tags: ['register'],
      summary: 'The public register of sensors',
      querystring: z.object({ kind: z.string().optional(), zone: z.string().optional() }),
      response: { 200: z.object({ data: z.array(publicSensorSchema) }) }
    }
  }, async (request) => {
    const { kind, zone } = request.query
    const data = app.deps.registry.listSensors()
      .filter((s) => (kind === undefined || s.kind === kind) && (zone === undefined || s.zoneId === zone))
    return { data }
  })

  app.get('/v1/sensors/:id', {
    schema: {
      tags: ['register'],
      summary: 'One sensor in the public register',
      params: z.object({ id: z.string() }),
      response: { 200: publicSensorSchema }
    }
  }, async (request) => app.deps.registry.requireSensor(request.params.id))
}
export default sensorsRoutes

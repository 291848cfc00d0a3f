import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { zoneInputSchema, zoneSchema } from '../../core/sensor.js'

/** Admin: create or replace zones (201 when new, 200 when replaced). */
const adminZonesRoutes: FastifyPluginAsyncZod = async (app) => {
  app.addHook('preValidation', app.requireRole('admin'))

  app.post('/v1/admin/zones', {
    schema: {
      tags: ['admin'],
      summary: 'Create or replace a zone; areaM2 is computed from the polygon when left out',
      security: [{ bearer: [] }],
      body: zoneInputSchema,
      response: { 200: zoneSchema, 201: zoneSchema }
    }
  }, async (request, reply) => {
    const { zone, created } = await app.deps.registry.putZone(request.body)
    reply.status(created ? 201 : 200)
    return zone
  })

  app.get('/v1/admin/zones', {
    schema: {
      tags: ['admin'],
      summary: 'Every zone',
      security: [{ bearer: [] }],
      response: { 200: z.object({ data: z.array(zoneSchema) }) }
    }
  }, async () => ({ data: app.deps.registry.listZones() }))
}
export default adminZonesRoutes

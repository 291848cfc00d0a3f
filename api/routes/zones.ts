import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { SensorstadError } from '../../core/errors.js'
import { zoneSchema } from '../../core/sensor.js'

/** Public zones: where crowd monitors count, with their area. */
const zonesRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get('/v1/zones', {
    schema: {
      tags: ['register'],
      summary: 'Zones in which crowds are counted',
      response: { 200: z.object({ data: z.array(zoneSchema) }) }
    }
  }, async () => ({ data: app.deps.registry.listZones() }))

  app.get('/v1/zones/:id', {
    schema: {
      tags: ['register'],
      summary: 'One zone',
      params: z.object({ id: z.string() }),
      response: { 200: zoneSchema }
    }
  }, async (request) => {
    const zone = app.deps.registry.getZone(request.params.id)
    if (zone === undefined) throw new SensorstadError('REGISTRY_ERR_NOT_FOUND', `No zone ${request.params.id}`, 'id')
    return zone
  })
}
export default zonesRoutes

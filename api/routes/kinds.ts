import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { SensorstadError } from '../../core/errors.js'
import { kindDefinitionSchema } from '../../core/kind.js'

/** `GET /v1/kinds`: every sensor kind with its payload JSON Schema, units and privacy class. */
const kindsRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get('/v1/kinds', {
    schema: {
      tags: ['open data'],
      summary: 'Sensor kinds, with the JSON Schema a payload must pass',
      response: { 200: z.object({ data: z.array(kindDefinitionSchema) }) }
    }
  }, async () => ({ data: [...app.deps.registry.kinds.values()] }))

  app.get('/v1/kinds/:id', {
    schema: {
      tags: ['open data'],
      summary: 'One sensor kind',
      params: z.object({ id: z.string() }),
      response: { 200: kindDefinitionSchema }
    }
  }, async (request) => {
    const kind = app.deps.registry.kinds.get(request.params.id)
    if (kind === undefined) throw new SensorstadError('REGISTRY_ERR_UNKNOWN_KIND', `No kind ${request.params.id}; see GET /v1/kinds`, 'id')
    return kind
  })
}
export default kindsRoutes

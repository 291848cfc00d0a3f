import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { ROLES } from '../../core/sensor.js'

/** Admin: issue API tokens. The token is in this answer only; the register keeps its hash. */
const adminTokensRoutes: FastifyPluginAsyncZod = async (app) => {
  app.addHook('preValidation', app.requireRole('admin'))

  app.post('/v1/admin/tokens', {
    schema: {
      tags: ['admin'],
      summary: 'Issue a bearer token for a role',
      security: [{ bearer: [] }],
      body: z.object({ role: z.enum(ROLES), name: z.string().trim().min(1).max(200) }),
      response: { 201: z.object({ token: z.string(), id: z.string(), role: z.enum(ROLES), name: z.string() }) }
    }
  }, async (request, reply) => {
    const { token, record } = await app.deps.registry.createToken(request.body.role, request.body.name)
    request.log.info({ tokenId: record.id, role: record.role, by: request.principal?.name }, 'token issued')
    reply.status(201)
    return { token, id: record.id, role: record.role, name: record.name }
  })
}
export default adminTokensRoutes

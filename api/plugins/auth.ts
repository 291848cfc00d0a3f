import fp from 'fastify-plugin'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { SensorstadError } from '../../core/errors.js'
import type { Role } from '../../core/sensor.js'
import type { TokenPrincipal } from '../../registry/registry.js'

/**
 * Bearer-token auth (RFC 6750). `app.requireRole('admin')` gives a hook that answers 401
 * without a valid token and 403 for a token of another role. Routes run it as
 * `preValidation`, before the body and query are checked, so a caller without the role
 * gets 401/403 and never a validation answer that describes the route's schema.
 */
declare module 'fastify' {
  interface FastifyInstance {
    requireRole (...roles: Role[]): (request: FastifyRequest, reply: FastifyReply) => Promise<void>
  }
  interface FastifyRequest {
    principal?: TokenPrincipal
  }
}

const UNAUTHORIZED = 'Send Authorization: Bearer <token>; an admin issues tokens at POST /v1/admin/tokens'

/**
 * The principal of a request that may come with or without a token (an open route with a
 * richer view behind a token): undefined without an Authorization header, 401 for a header
 * that is not a valid bearer token, so a mistyped token never falls back to the open view
 * silently. Does not check the role and does not set `request.principal`.
 */
export async function optionalPrincipal (request: FastifyRequest, reply: FastifyReply): Promise<TokenPrincipal | undefined> {
  const header = request.headers.authorization
  if (header === undefined) return undefined
  const match = /^Bearer\s+(\S+)$/i.exec(header)
  const principal = match === null ? undefined : await request.server.deps.registry.authenticateToken(match[1]!)
  if (principal === undefined) {
    reply.header('WWW-Authenticate', 'Bearer realm="sensorstad"')
    throw new SensorstadError('API_ERR_UNAUTHORIZED', UNAUTHORIZED)
  }
  return principal
}

export default fp(async (app) => {
  app.decorateRequest('principal', undefined)
  app.decorate('requireRole', (...roles: Role[]) => async (request: FastifyRequest, reply: FastifyReply) => {
    const principal = await optionalPrincipal(request, reply)
    if (principal === undefined) {
      reply.header('WWW-Authenticate', 'Bearer realm="sensorstad"')
      throw new SensorstadError('API_ERR_UNAUTHORIZED', UNAUTHORIZED)
    }
    if (!roles.includes(principal.role)) {
      throw new SensorstadError('API_ERR_FORBIDDEN', `This needs role ${roles.join(' or ')}; your token has role ${principal.role}`)
    }
    request.principal = principal
    // Answers behind a token (secrets among them) are never stored by a cache.
    reply.header('cache-control', 'no-store')
  })
}, { name: 'auth', dependencies: ['problems'] })

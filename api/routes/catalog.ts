import type { FastifyReply, FastifyRequest } from 'fastify'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { buildCatalog } from '../catalog/build-catalog.js'
import { catalogToTurtle } from '../catalog/catalog-to-turtle.js'

/**
 * `GET /catalog`: the open-data catalog as DCAT-AP-NL 3.0, JSON-LD by default and Turtle for
 * `Accept: text/turtle`; `GET /catalog.ttl` is always Turtle, for links and harvesters that
 * do not negotiate. Built from the register on every request, so a new kind or zone is in
 * the next answer. The ETag (from the body, @fastify/etag) lets a harvester poll cheaply.
 */
const JSON_LD = 'application/ld+json'
const TURTLE = 'text/turtle'

/** Highest q wins (RFC 9110 section 12.5.1); on a tie, or when nothing matches, JSON-LD. */
export function negotiate (accept: string | undefined): typeof JSON_LD | typeof TURTLE {
  let best: { type: typeof JSON_LD | typeof TURTLE, q: number } = { type: JSON_LD, q: 0 }
  for (const part of (accept ?? '').split(',')) {
    const [range = '', ...params] = part.trim().toLowerCase().split(';').map((s) => s.trim())
    const qParam = params.find((p) => p.startsWith('q='))
    const q = qParam === undefined ? 1 : Number(qParam.slice(2))
    if (!(q > 0)) continue
    const type = range === TURTLE ? TURTLE : (range === JSON_LD || range === 'application/json') ? JSON_LD : undefined
    if (type !== undefined && (q > best.q || (q === best.q && type === JSON_LD))) best = { type, q }
  }
  return best.type
}

const catalogRoutes: FastifyPluginAsyncZod = async (app) => {
  const respond = async (request: FastifyRequest, reply: FastifyReply, type: typeof JSON_LD | typeof TURTLE): Promise<string> => {
    const { registry, publicBaseUrl } = app.deps
    const document = buildCatalog({
      // IRIs must be absolute: PUBLIC_BASE_URL when set (stable behind a proxy), else the origin asked.
      baseUrl: publicBaseUrl ?? `${request.protocol}://${request.host}`,
      kinds: registry.kinds.values(),
      zones: registry.listZones(),
      sensors: registry.listSensors()
    })
    // An hour: the register changes by hand, and harvesters poll daily at most (DCAT-AP-NL
    // leaves the rate to the harvester); the ETag keeps revalidation cheap.
    reply.header('cache-control', 'public, max-age=3600').type(`${type}; charset=utf-8`)
    return type === TURTLE ? await catalogToTurtle(document) : JSON.stringify(document)
  }

  const schema = { tags: ['open data'], produces: [JSON_LD, TURTLE] }
  app.get('/catalog', {
    schema: {
      ...schema,
      summary: 'The open-data catalog (DCAT-AP-NL 3.0)',
      description: 'Every dataset, distribution and service as DCAT-AP-NL 3.0: JSON-LD by default, Turtle with `Accept: text/turtle` (or at /catalog.ttl).'
    }
  }, async (request, reply) => {
    reply.header('vary', 'accept')
    return await respond(request, reply, negotiate(request.headers.accept))
  })

  app.get('/catalog.ttl', {
    schema: { ...schema, produces: [TURTLE], summary: 'The open-data catalog (DCAT-AP-NL 3.0) as Turtle' }
  }, async (request, reply) => await respond(request, reply, TURTLE))
}
export default catalogRoutes

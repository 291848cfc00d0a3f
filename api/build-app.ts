import Fastify, { LogController, type FastifyBaseLogger } from 'fastify'
import compress from '@fastify/compress'
import cors from '@fastify/cors'
import etag from '@fastify/etag'
import rateLimit from '@fastify/rate-limit'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import { jsonSchemaTransform, jsonSchemaTransformObject, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod'
import { checkRouteAccess } from './access.js'
import type { AppDeps } from './deps.js'
import auth from './plugins/auth.js'
import problems from './plugins/problems.js'
import adminSensors from './routes/admin-sensors.js'
import adminTokens from './routes/admin-tokens.js'
import adminZones from './routes/admin-zones.js'
import air from './routes/air.js'
import catalog from './routes/catalog.js'
import collection from './routes/collection.js'
import alerts from './routes/alerts.js'
import crowd from './routes/crowd.js'
import dashboard from './routes/dashboard.js'
import exportsRoutes from './routes/exports.js'
import grid from './routes/grid.js'
import health from './routes/health.js'
import kinds from './routes/kinds.js'
import latest from './routes/latest.js'
import live from './routes/live.js'
import observations from './routes/observations.js'
import pages from './routes/pages.js'
import sensors from './routes/sensors.js'
import sta from './routes/sta.js'
import zones from './routes/zones.js'

/**
 * Builds the HTTP API (one plugin per resource); never listens. `main.ts` listens, tests use
 * `app.inject()` or port 0. OpenAPI 3.1 at `/docs/json` comes from the same zod schemas
 * that validate requests and filter responses.
 */
export interface AppOptions {
  topicRoot: string
  /** Also the `servers` entry of the OpenAPI document. */
  publicBaseUrl?: string
  /** Tests shorten these to see them act; production keeps the defaults below. */
  timeouts?: { connectionMs?: number, requestMs?: number }
}

/**
 * 30 s to send a whole request (headers and body) bounds slowloris-style clients that hold a
 * socket by trickling bytes; Node's `requestTimeout` stops counting once the request is in,
 * so a long answer is not cut by it.
 */
const REQUEST_TIMEOUT_MS = 30_000
/**
 * A socket with no bytes either way for 60 s is closed. Longer than the slowest honest query
 * (a year of readings as CSV). The event streams turn it off for their own sockets.
 */
const CONNECTION_TIMEOUT_MS = 60_000

export async function buildApp (deps: AppDeps, options: AppOptions) {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    // Admin bodies are small; a 64 KiB cap keeps a hostile client from costing memory.
    bodyLimit: 65_536,
    requestTimeout: options.timeouts?.requestMs ?? REQUEST_TIMEOUT_MS,
    connectionTimeout: options.timeouts?.connectionMs ?? CONNECTION_TIMEOUT_MS,
    // One line per request is noise at sensor-platform rates; errors are still logged.
    logController: new LogController({ disableRequestLogging: true })
  }).withTypeProvider<ZodTypeProvider>()
  app.setValidatorCompiler(validatorCompiler)
  app.setSerializerCompiler(serializerCompiler)
  app.decorate('deps', deps)
  // First, so that every route after it, ours and the plugins', must have a decision.
  checkRouteAccess(app)

  await app.register(problems)
  await app.register(auth)
  await app.register(cors, { origin: '*', methods: ['GET', 'HEAD', 'OPTIONS'], exposedHeaders: ['x-truncated', 'retry-after', 'link'] })
  // gzip or brotli for answers over 1 KiB, as the client accepts (a year of readings in CSV
  // shrinks about tenfold); event streams are written raw and pass untouched.
  await app.register(compress, { threshold: 1024, encodings: ['br', 'gzip'] })
  // Every GET says how long it may be cached: routes that know (live data, closed days) set
  // their own; the rest (register, kinds, zones) change rarely. Answers to a token never are.
  app.addHook('onSend', async (request, reply) => {
    if ((request.method === 'GET' || request.method === 'HEAD') && !reply.hasHeader('cache-control')) {
      reply.header('cache-control', request.headers.authorization === undefined ? 'public, max-age=60' : 'no-store')
    }
  })
  // Weak ETags from the body: a client polling /v1/latest gets 304 until a value changes.
  await app.register(etag, { weak: true })
  await app.register(rateLimit, {
    max: deps.rateLimitPerMinute ?? 600,
    timeWindow: 60_000,
    // Operations probes are never limited: a throttled /readyz would take the node out.
    allowList: (request) => request.url === '/healthz' || request.url === '/readyz' || request.url === '/metrics'
  })
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Sensorstad API',
        version: '1',
        description: 'Open sensor data of the city: the public register of sensors, readings and aggregates, crowd counts per zone, air quality per grid cell, live feeds; the enforcement, operations and admin APIs. Open data is CC0 1.0; privacy rules and who may see what are in the README.',
        license: { name: 'CC0 1.0 (open data)', url: 'https://creativecommons.org/publicdomain/zero/1.0/' },
        contact: { name: 'Sensorstad', url: 'https://www.utrecht.nl/' }
      },
      ...(options.publicBaseUrl !== undefined ? { servers: [{ url: options.publicBaseUrl }] } : {}),
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } }
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject
  })
  await app.register(swaggerUi, { routePrefix: '/docs' })

  await app.register(health)
  await app.register(kinds)
  await app.register(sensors)
  await app.register(zones)
  await app.register(observations)
  await app.register(latest)
  await app.register(live)
  await app.register(crowd)
  await app.register(alerts)
  await app.register(grid)
  await app.register(catalog)
  await app.register(collection)
  await app.register(exportsRoutes, { publicBaseUrl: options.publicBaseUrl })
  await app.register(pages)
  await app.register(dashboard)
  await app.register(air)
  await app.register(adminSensors, { topicRoot: options.topicRoot })
  await app.register(adminZones)
  await app.register(adminTokens)
  await app.register(sta, { publicBaseUrl: options.publicBaseUrl })
  await app.ready()
  return app
}

export type App = Awaited<ReturnType<typeof buildApp>>

import Fastify, { LogController, type FastifyBaseLogger } from 'fastify'
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod'
import type { AppDeps } from '../api/deps.js'
import health from '../api/routes/health.js'

/**
 * The HTTP server of a process without the API (ROLE broker or jobs): only `/healthz`,
 * `/readyz` and `/metrics`, answered by the same plugin as in the API, so a load balancer and
 * Prometheus treat every process alike.
 */
export async function buildOpsApp (deps: AppDeps) {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true })
  }).withTypeProvider<ZodTypeProvider>()
  app.setValidatorCompiler(validatorCompiler)
  app.setSerializerCompiler(serializerCompiler)
  app.decorate('deps', deps)
  await app.register(health)
  await app.ready()
  return app
}

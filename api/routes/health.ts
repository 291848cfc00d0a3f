import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'

/**
 * Operations: `/healthz` (the process answers), `/readyz` (it can take and serve data: the
 * store answers and ingest is writing), `/metrics` (Prometheus text format 0.0.4).
 */
const checkSchema = z.object({ name: z.string(), ok: z.boolean(), error: z.string().optional() })

const healthRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get('/healthz', {
    schema: { tags: ['operations'], summary: 'Liveness', response: { 200: z.object({ status: z.literal('ok') }) } }
  }, async () => ({ status: 'ok' as const }))

  app.get('/readyz', {
    schema: {
      tags: ['operations'],
      summary: 'Readiness: 503 while the store or ingest cannot work',
      response: { 200: z.object({ status: z.enum(['ready', 'not ready']), checks: z.array(checkSchema) }), 503: z.object({ status: z.enum(['ready', 'not ready']), checks: z.array(checkSchema) }) }
    }
  }, async (request, reply) => {
    const checks = [{ name: 'store', check: () => app.deps.store.ping() }, ...(app.deps.readiness ?? [])]
    const results = await Promise.all(checks.map(async ({ name, check }) => {
      try {
        await check()
        return { name, ok: true }
      } catch (err) {
        // /readyz is open: a driver's message (SQL, file paths, hosts) goes to the log only.
        request.log.warn({ err, check: name }, 'readiness check failed')
        return { name, ok: false, error: 'not answering; see the service log' }
      }
    }))
    const ready = results.every((r) => r.ok)
    reply.status(ready ? 200 : 503).header('cache-control', 'no-store')
    return { status: ready ? 'ready' as const : 'not ready' as const, checks: results }
  })

  app.get('/metrics', { schema: { tags: ['operations'], summary: 'Prometheus metrics', hide: false } }, async (_request, reply) => {
    reply.type(app.deps.metrics.contentType)
    return app.deps.metrics.metrics()
  })
}
export default healthRoutes

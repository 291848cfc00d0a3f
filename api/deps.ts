import type { Logger } from 'pino'
import type { Registry as MetricsRegistry } from 'prom-client'
import type { GridStore } from '../core/ports/grid-store.js'
import type { TimeSeriesStore } from '../core/ports/time-series-store.js'
import type { Registry } from '../registry/registry.js'

/**
 * What the API is built from; the composition root hands it in. The register is the
 * registry service (its type only: the API never constructs or stores it).
 */
export interface AppDeps {
  registry: Registry
  store: TimeSeriesStore
  grid: GridStore
  metrics: MetricsRegistry
  logger: Logger
  /** Extra readiness checks (ingest writing, broker listening); each rejects when not ready. */
  readiness?: Array<{ name: string, check: () => Promise<void> | void }>
  /** Public requests per minute per client. */
  rateLimitPerMinute?: number
  now?: () => number
}

declare module 'fastify' {
  interface FastifyInstance {
    deps: AppDeps
  }
}

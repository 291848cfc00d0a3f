import type { Logger } from 'pino'
import type { Registry as MetricsRegistry } from 'prom-client'
import type { AlertEvent, ZoneAlertState } from '../core/alerts.js'
import type { ExportFile, ExportFormat } from '../core/exports.js'
import type { AlertStore } from '../core/ports/alert-store.js'
import type { GridStore } from '../core/ports/grid-store.js'
import type { TimeSeriesStore } from '../core/ports/time-series-store.js'
import type { Registry } from '../registry/registry.js'
import type { LiveFeed } from './live-feed.js'

/**
 * What the API is built from; the composition root hands it in. The register is the
 * registry service (its type only: the API never constructs or stores it).
 */
/** Live crowd alerts (the alert engine): current zone states and a feed of changes. */
export interface AlertsFeed {
  states (): ZoneAlertState[]
  subscribe (listener: (item: { type: 'alert', event: AlertEvent } | { type: 'zones', zones: ZoneAlertState[] }) => void): () => void
  store: AlertStore
}

export interface AppDeps {
  registry: Registry
  store: TimeSeriesStore
  grid: GridStore
  /** What the public may see as it happens (/v1/live). */
  live?: Pick<LiveFeed, 'subscribe'>
  /** Crowd alerts; the alert routes answer 503 without it. */
  alerts?: AlertsFeed
  metrics: MetricsRegistry
  logger: Logger
  /** Extra readiness checks (ingest writing, broker listening); each rejects when not ready. */
  readiness?: Array<{ name: string, check: () => Promise<void> | void }>
  /** Public requests per minute per client. */
  rateLimitPerMinute?: number
  /**
   * Waste collection list (COLLECTION_* in core/config.ts): the depot rounds start from
   * (WGS 84), the filling level (%) at which a bin is full, and how many hours ahead a
   * predicted one is listed. Absent: the config defaults.
   */
  collection?: { depot: { lat: number, lon: number }, thresholdPct: number, horizonH: number }
  /** The dashboards' base map: an XYZ tile URL template (DASHBOARD_TILE_URL). Absent: the config default. */
  dashboard?: { tileUrl: string }
  /**
   * Day files of open data (`/v1/exports`): the folder that holds them and its manifest
   * (store/day-export.ts). Absent: the list is empty and every file answers 404.
   */
  exports?: {
    dir: string
    list (): Promise<ExportFile[]>
    file (kind: string, day: string, format: ExportFormat): Promise<ExportFile | undefined>
  }
  /**
   * PUBLIC_BASE_URL: the origin (and path prefix) the public reaches the API at, used for the
   * catalog's IRIs. Absent: each request's own origin.
   */
  publicBaseUrl?: string | undefined
  now?: () => number
}

declare module 'fastify' {
  interface FastifyInstance {
    deps: AppDeps
  }
}

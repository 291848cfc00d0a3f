import { join } from 'node:path'
import { buildApp, type App } from '../api/build-app.js'
import type { AppDeps } from '../api/deps.js'
import { readExportFile, readExportManifest, type ExportHashCache } from '../store/day-export.js'
import { openBusAlertsFeed, openBusLiveFeed } from './bus-feeds.js'
import type { ProcessContext } from './process-context.js'

/**
 * The API role: the Fastify app over the shared stores. It keeps nothing a peer needs: the
 * live feeds come from the event bus (bus-feeds.ts), so any number of API processes behind a
 * load balancer answer and stream alike. Built here, listened on by the caller.
 */
export async function startApiRole (ctx: ProcessContext, readiness: NonNullable<AppDeps['readiness']>): Promise<App> {
  const { config, logger, metrics, closers } = ctx
  const { registry, store, grid, alertStore } = ctx.stores
  const live = await openBusLiveFeed(ctx.cluster.bus)
  closers.add(() => live.close())
  const alerts = await openBusAlertsFeed(ctx.cluster.bus, alertStore, logger)
  closers.add(() => alerts.close())

  // Day files are written by the jobs role into DATA_DIR/exports; API processes on other
  // machines see them only where that folder is shared.
  const exportsDir = join(config.DATA_DIR, 'exports')
  const exportHashes: ExportHashCache = new Map()
  return buildApp({
    registry,
    store,
    grid,
    alerts,
    live,
    metrics,
    logger: logger.child({ component: 'api' }),
    rateLimitPerMinute: config.HTTP_RATE_LIMIT_PER_MIN,
    dashboard: { tileUrl: config.DASHBOARD_TILE_URL },
    exports: { dir: exportsDir, list: () => readExportManifest(exportsDir, exportHashes), file: (kind, day, format) => readExportFile(exportsDir, kind, day, format, exportHashes) },
    publicBaseUrl: config.PUBLIC_BASE_URL,
    collection: { depot: { lat: config.COLLECTION_DEPOT_LAT, lon: config.COLLECTION_DEPOT_LON }, thresholdPct: config.COLLECTION_THRESHOLD_PCT, horizonH: config.COLLECTION_HORIZON_H },
    readiness
  }, { topicRoot: config.MQTT_TOPIC_ROOT, publicBaseUrl: config.PUBLIC_BASE_URL })
}

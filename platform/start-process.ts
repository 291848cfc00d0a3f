import type { Logger } from 'pino'
import { collectDefaultMetrics, Registry as MetricsRegistry } from 'prom-client'
import type { App } from '../api/build-app.js'
import type { AppDeps } from '../api/deps.js'
import { LiveFeed, type LiveItem } from '../api/live-feed.js'
import type { SensorBroker } from '../broker/create-broker.js'
import { LatestPerTopic } from '../broker/latest-per-topic.js'
import type { Config, ProcessRole } from '../core/config.js'
import { startApiRole } from './api-role.js'
import { startBrokerRole, startPublishingBroker, type BrokerRole } from './broker-role.js'
import { LIVE } from './channels.js'
import { Closers } from './closers.js'
import { startJobs, type JobsRole } from './jobs.js'
import { openCluster } from './open-cluster.js'
import { openStores, type Stores } from './open-stores.js'
import { buildOpsApp } from './ops-app.js'
import type { ProcessContext } from './process-context.js'

/**
 * Starts the roles ROLE names in this process (issue #9): `broker` (MQTT and ingest), `api`
 * (the HTTP API), `jobs` (scheduled jobs, crowd alerts); all three by default, which is
 * `npm start`. Every process answers HTTP on HTTP_PORT: the whole API, or only /healthz,
 * /readyz and /metrics where the API does not run. The roles meet through the stores and
 * the event bus, in this process or across a deployment alike.
 */
export interface RunningProcess {
  config: Config
  roles: readonly ProcessRole[]
  instanceId: string
  stores: Stores
  broker: BrokerRole | undefined
  jobs: JobsRole | undefined
  /** The API, when this process runs it. */
  app: App | undefined
  /** Open data as it happens, where it is made (broker and jobs roles). */
  live: LiveFeed | undefined
  httpPort: number
  httpUrl: string
  close (): Promise<void>
}

export async function startProcess (config: Config, logger: Logger): Promise<RunningProcess> {
  const closers = new Closers(logger)
  const roles = new Set(config.ROLE)
  try {
    const metrics = new MetricsRegistry()
    collectDefaultMetrics({ register: metrics })
    const cluster = await openCluster(config, logger, closers)
    const stores = await openStores(config, metrics, logger, closers)
    const ctx: ProcessContext = { config, logger, metrics, stores, cluster, closers }

    const live = roles.has('broker') || roles.has('jobs') ? new LiveFeed({ registry: stores.registry, store: stores.store, grid: stores.grid }) : undefined
    const broker = roles.has('broker') ? await startBrokerRole(ctx, live!) : undefined
    const publisher = broker?.broker ?? (roles.has('jobs') ? await startPublishingBroker(ctx) : undefined)
    const stopAnnouncing = live === undefined ? undefined : announceLive(ctx, live, publisher)
    const jobs = roles.has('jobs') ? await startJobs(ctx, live!) : undefined

    const readiness: NonNullable<AppDeps['readiness']> = [{ name: 'grid', check: () => stores.grid.ping() }]
    const ingest = broker?.ingest
    if (ingest !== undefined) readiness.unshift({ name: 'ingest', check: () => { if (!ingest.healthy) throw new Error('store writes are failing') } })
    const app = roles.has('api') ? await startApiRole(ctx, readiness) : undefined
    const http = app ?? await buildOpsApp({ registry: stores.registry, store: stores.store, grid: stores.grid, metrics, logger: logger.child({ component: 'ops' }), readiness })
    await http.listen({ host: config.HTTP_HOST, port: config.HTTP_PORT })
    closers.add(() => http.close())
    // First at shutdown: what the last writes store is not announced through a closing broker.
    if (stopAnnouncing !== undefined) closers.add(stopAnnouncing)
    const address = http.server.address()
    const httpPort = typeof address === 'object' && address !== null ? address.port : config.HTTP_PORT

    return {
      config,
      roles: config.ROLE,
      instanceId: cluster.instanceId,
      stores,
      broker,
      jobs,
      app,
      live,
      httpPort,
      httpUrl: config.PUBLIC_BASE_URL ?? `http://localhost:${httpPort}`,
      close: () => closers.close()
    }
  } catch (err) {
    await closers.close()
    throw err
  }
}

/** How often a retained open-data topic is republished at most (broker/latest-per-topic.ts). */
const OPEN_MQTT_INTERVAL_MS = 1_000

/**
 * Open data goes out from where it is made, once: on MQTT under `open/v1/` (retained, so a
 * new anonymous subscriber gets the newest value at once) through this process's broker,
 * which reaches every broker process's subscribers, the newest value of each topic once a
 * second (a publish per reading cost as much as the ingest itself under load); and on the
 * bus to every API process's /v1/live, the items of one turn of the event loop in one message.
 */
function announceLive (ctx: ProcessContext, live: LiveFeed, publisher: SensorBroker | undefined): () => Promise<void> {
  const { logger, cluster: { bus } } = ctx
  const retained = publisher === undefined
    ? undefined
    : new LatestPerTopic((topic, payload) => publisher.publish(topic, payload, { retain: true }), OPEN_MQTT_INTERVAL_MS,
      (err) => logger.warn({ err }, 'open data publish failed'))
  let pending: LiveItem[] = []
  const unsubscribe = live.subscribe((item) => {
    retained?.offer(`open/v1/${item.topic}`, item.data)
    if (pending.push(item) > 1) return
    setImmediate(() => {
      const items = pending
      pending = []
      bus.publish(LIVE, items).catch((err: unknown) => logger.warn({ err }, 'open data not announced to the API processes'))
    })
  })
  return async () => {
    unsubscribe()
    await retained?.close()
  }
}

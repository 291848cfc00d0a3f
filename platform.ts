import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import cron, { type ScheduledTask } from 'node-cron'
import pino, { type Logger } from 'pino'
import { collectDefaultMetrics, Counter, Registry as MetricsRegistry } from 'prom-client'
import { buildApp, type App } from './api/build-app.js'
import { exportDays, exportItems, type DayExportResult } from './api/exports/export-days.js'
import { createBroker, type SensorBroker } from './broker/create-broker.js'
import { createBrokerMetrics } from './broker/metrics.js'
import { listenMqtt, type MqttServers } from './broker/servers.js'
import type { Config } from './core/config.js'
import { SensorstadError } from './core/errors.js'
import { redactPaths, SECRET_NAMES, withheldFieldNames } from './core/sensitive.js'
import { AlertEngine } from './ingest/alerts/alert-engine.js'
import { LiveFeed } from './api/live-feed.js'
import { Ingest } from './ingest/ingest.js'
import { createIngestMetrics } from './ingest/metrics.js'
import { compactGrid, purgeExpired } from './ingest/retention.js'
import { rollup } from './ingest/rollup.js'
import { DuckDbRegistryStore } from './registry/duckdb-registry-store.js'
import { loadKinds } from './registry/kind-catalog.js'
import { Registry } from './registry/registry.js'
import { dayExportWriter, readExportFile, readExportManifest, type ExportHashCache } from './store/day-export.js'
import { DuckDbAlertStore } from './store/duckdb-alert-store.js'
import { DuckDbGridStore } from './store/duckdb-grid-store.js'
import { DuckDbTimeSeriesStore } from './store/duckdb-time-series-store.js'
import { InfluxTimeSeriesStore } from './store/influx-time-series-store.js'
import type { GridStore } from './core/ports/grid-store.js'
import type { TimeSeriesStore } from './core/ports/time-series-store.js'
import type { KindCatalog } from './registry/kind-catalog.js'

/**
 * The composition root: wires register, store, ingest, broker, API and scheduled jobs into
 * one running platform on the embedded store. `main.ts` calls it with the environment's
 * config; the end-to-end tests call it with port 0 and a temporary DATA_DIR.
 */

/** Names whose values never reach a log line: secrets, payloads, withheld fields of every kind. */
export const REDACT_PATHS = redactPaths([...SECRET_NAMES, ...withheldFieldNames(loadKinds().values())])

export interface Platform {
  config: Config
  registry: Registry
  store: TimeSeriesStore
  grid: GridStore
  ingest: Ingest
  broker: SensorBroker
  app: App
  httpUrl: string
  httpPort: number
  mqttPort: number
  mqttWsPort: number
  /** MQTT over TLS; undefined when MQTT_TLS_PORT is unset. */
  mqttTlsPort: number | undefined
  /** An admin token made at first start when ADMIN_TOKEN was not set; shown once. */
  generatedAdminToken: string | undefined
  alerts: AlertEngine
  live: LiveFeed
  /** Runs the rollup job as at `now` (default the clock; the scheduler runs it every minute). */
  runRollup (now?: number): Promise<void>
  /**
   * Writes the day files of open data (EXPORT_CRON runs it nightly): for every kind, `day`
   * (YYYY-MM-DD) or else its newest day that can no longer change; a published day is kept.
   */
  runExport (day?: string): Promise<DayExportResult[]>
  close (): Promise<void>
}

export function createLogger (config: Pick<Config, 'LOG_LEVEL'>, destination?: pino.DestinationStream): Logger {
  const options = { level: config.LOG_LEVEL, redact: { paths: REDACT_PATHS, censor: '[redacted]' } }
  return destination === undefined ? pino(options) : pino(options, destination)
}

export async function startPlatform (config: Config, logger: Logger = createLogger(config)): Promise<Platform> {
  const closers: Array<() => Promise<void> | void> = []
  const close = async (): Promise<void> => {
    for (const closer of closers.splice(0).reverse()) {
      try { await closer() } catch (err) { logger.error({ err }, 'error while closing') }
    }
  }
  try {
    const kinds = loadKinds()
    const registryStore = await DuckDbRegistryStore.open(join(config.DATA_DIR, 'registry.duckdb'))
    closers.push(() => registryStore.close())
    const registry = await Registry.open(registryStore, kinds, { bootstrapAdminToken: config.ADMIN_TOKEN })
    let generatedAdminToken: string | undefined
    if (!registry.hasAdminToken()) {
      generatedAdminToken = (await registry.createToken('admin', 'first admin (generated at first start)')).token
    }

    const metrics = new MetricsRegistry()
    collectDefaultMetrics({ register: metrics })
    const store = await openTimeSeriesStore(config, kinds, metrics, logger)
    closers.push(() => store.close())
    const grid = await DuckDbGridStore.open(join(config.DATA_DIR, 'grid.duckdb'))
    closers.push(() => grid.close())

    const purged = new Counter({
      name: 'sensorstad_retention_purged_total',
      help: 'Rows removed by the retention job: raw readings deleted, ride contributions stripped of pseudonyms',
      labelNames: ['kind', 'what'] as const,
      registers: [metrics]
    })

    const alertStore = await DuckDbAlertStore.open(join(config.DATA_DIR, 'alerts.duckdb'))
    closers.push(() => alertStore.close())
    const crowdKind = [...kinds.values()].find((k) => k.privacy.counts !== undefined)
    const alerts = new AlertEngine({
      zones: () => registry.listZones(),
      monitorsOf: (zoneId) => registry.listSensors().filter((s) => s.zoneId === zoneId && s.status === 'active' && s.kind === crowdKind?.id),
      store: alertStore,
      countField: crowdKind?.privacy.counts?.field ?? 'peopleCount',
      expectedIntervalMs: (crowdKind?.expectedIntervalS ?? 60) * 1000,
      hysteresis: config.ALERT_HYSTERESIS,
      minDurationMs: config.ALERT_MIN_DURATION_S * 1000
    })
    // Seeded with what is stored, so a restart does not report every monitor silent.
    alerts.observe(await store.latest({ kind: crowdKind?.id }))

    const live = new LiveFeed({ registry, store, grid })

    // Ingest tells sensors about rejections through the broker, which is built after it.
    const brokerRef: { current?: SensorBroker } = {}
    const ingest: Ingest = new Ingest({
      kinds,
      store,
      grid,
      zoneOf: (id) => registry.getZone(id),
      topicRoot: config.MQTT_TOPIC_ROOT,
      notify: (topic, payload) => brokerRef.current?.publish(topic, payload) ?? Promise.resolve(),
      metrics: createIngestMetrics(metrics, () => ingest.pending),
      batchMax: config.INGEST_BATCH_MAX,
      flushMs: config.INGEST_FLUSH_MS,
      maxPending: config.INGEST_MAX_PENDING,
      maxReadingsPerMessage: config.INGEST_MAX_READINGS_PER_MESSAGE,
      maxFutureS: config.INGEST_MAX_FUTURE_S,
      onWriteError: (err, attempt) => logger.error({ err, attempt }, 'store write failed; holding PUBACKs and retrying'),
      onStored: (readings) => {
        alerts.observe(readings)
        live.push(readings)
      }
    })
    closers.push(() => ingest.close())

    const broker = await createBroker({
      directory: registry,
      sink: ingest,
      topicRoot: config.MQTT_TOPIC_ROOT,
      logger: logger.child({ component: 'broker' }),
      connectTimeoutS: config.MQTT_CONNECT_TIMEOUT_S,
      drainTimeoutS: config.MQTT_DRAIN_TIMEOUT_S,
      kinds: config.MQTT_PUBLISH_RATE_LIMIT ? kinds : undefined,
      authFailures: { max: config.MQTT_AUTH_FAILURES_PER_MIN, windowS: config.MQTT_AUTH_WINDOW_S },
      metrics: createBrokerMetrics(metrics)
    })
    brokerRef.current = broker
    closers.push(() => broker.close())
    registry.on('sensor-revoked', (id) => broker.disconnectSensor(id))
    // Open data on MQTT: retained, so a new anonymous subscriber gets the newest value at once.
    live.subscribe((item) => {
      broker.publish(`open/v1/${item.topic}`, JSON.stringify(item.data), { retain: true }).catch((err: unknown) => logger.warn({ err }, 'open data publish failed'))
    })

    const servers: MqttServers = await listenMqtt(broker, {
      host: config.MQTT_HOST,
      port: config.MQTT_PORT,
      wsPort: config.MQTT_WS_PORT,
      maxPacketBytes: config.MQTT_MAX_PACKET_BYTES,
      tls: config.MQTT_TLS_PORT === undefined
        ? undefined
        : { host: config.MQTT_TLS_HOST, port: config.MQTT_TLS_PORT, cert: readPem(config, 'MQTT_TLS_CERT_PATH'), key: readPem(config, 'MQTT_TLS_KEY_PATH') },
      logger: logger.child({ component: 'mqtt' })
    })
    closers.push(() => servers.close())
    // Shutdown runs this before the sockets close: no new connections, the readings already
    // taken are written and their PUBACKs sent, so a SIGTERM leaves nothing to resend.
    closers.push(async () => {
      servers.stopAccepting()
      await ingest.close()
      await servers.drain(1_000)
    })

    const exportsDir = join(config.DATA_DIR, 'exports')
    const exportHashes: ExportHashCache = new Map()
    const app = await buildApp({
      registry,
      store,
      grid,
      alerts: { states: () => alerts.states(), subscribe: (listener) => alerts.subscribe(listener), store: alertStore },
      live,
      metrics,
      logger: logger.child({ component: 'api' }),
      rateLimitPerMinute: config.HTTP_RATE_LIMIT_PER_MIN,
      dashboard: { tileUrl: config.DASHBOARD_TILE_URL },
      exports: { dir: exportsDir, list: () => readExportManifest(exportsDir, exportHashes), file: (kind, day, format) => readExportFile(exportsDir, kind, day, format, exportHashes) },
      publicBaseUrl: config.PUBLIC_BASE_URL,
      collection: { depot: { lat: config.COLLECTION_DEPOT_LAT, lon: config.COLLECTION_DEPOT_LON }, thresholdPct: config.COLLECTION_THRESHOLD_PCT, horizonH: config.COLLECTION_HORIZON_H },
      readiness: [
        { name: 'ingest', check: () => { if (!ingest.healthy) throw new Error('store writes are failing') } },
        { name: 'grid', check: () => grid.ping() }
      ]
    }, { topicRoot: config.MQTT_TOPIC_ROOT, publicBaseUrl: config.PUBLIC_BASE_URL })
    await app.listen({ host: config.HTTP_HOST, port: config.HTTP_PORT })
    closers.push(() => app.close())
    const address = app.server.address()
    const httpPort = typeof address === 'object' && address !== null ? address.port : config.HTTP_PORT
    const httpUrl = config.PUBLIC_BASE_URL ?? `http://localhost:${httpPort}`

    const runRollup = async (now = Date.now()): Promise<void> => {
      const results = await rollup(store, kinds.values(), now)
      logger.debug({ results }, 'rollup done')
    }
    const runExport = async (day?: string): Promise<DayExportResult[]> => {
      const now = Date.now()
      const results = await exportDays({ registry, store, grid, ...dayExportWriter(exportsDir, exportHashes) }, exportItems(kinds.values(), now, day), now)
      logger.info({ results }, 'day export done')
      return results
    }
    const tasks: ScheduledTask[] = [
      schedule('ROLLUP_CRON', config.ROLLUP_CRON, 'rollup', runRollup, logger),
      schedule('EXPORT_CRON', config.EXPORT_CRON, 'export', async () => { await runExport() }, logger),
      schedule('RETENTION_CRON', config.RETENTION_CRON, 'retention', async () => {
        const now = Date.now()
        const readings = await purgeExpired(store, kinds.values(), registry.listSensors(), now)
        const cells = await compactGrid(grid, kinds.values(), now)
        const events = await alertStore.deleteBefore(now - (crowdKind?.retentionDays ?? 7) * 86_400_000)
        purged.inc({ kind: crowdKind?.id ?? 'crowd', what: 'alert-events' }, events)
        for (const r of readings) purged.inc({ kind: r.kind, what: 'readings' }, r.deleted)
        for (const r of cells) purged.inc({ kind: r.kind, what: 'ride-contributions' }, r.deleted)
        logger.info({ readings, cells }, 'retention purge done')
      }, logger),
      schedule('LIVE_CROWD', '20 * * * * *', 'live-crowd', () => live.tick(Date.now()), logger),
      schedule('ALERT_TICK_S', `*/${Math.min(config.ALERT_TICK_S, 59)} * * * * *`, 'alerts', () => alerts.tick(Date.now()), logger),
      // Rides end when their device goes quiet; this closes, trims and stores them.
      schedule('RIDE_SWEEP', '*/15 * * * * *', 'ride-sweep', () => ingest.sweep(), logger)
    ]
    closers.push(async () => { for (const task of tasks) await task.destroy() })

    return {
      config,
      registry,
      store,
      grid,
      ingest,
      broker,
      app,
      httpUrl,
      httpPort,
      mqttPort: servers.tcpPort,
      mqttWsPort: servers.wsPort,
      mqttTlsPort: servers.tlsPort,
      generatedAdminToken,
      runRollup,
      runExport,
      alerts,
      live,
      close
    }
  } catch (err) {
    await close()
    throw err
  }
}

/** InfluxDB when INFLUX_URL is set, else the embedded DuckDB file under DATA_DIR. */
export async function openTimeSeriesStore (config: Config, kinds: KindCatalog, metrics: MetricsRegistry, logger: Logger): Promise<TimeSeriesStore> {
  if (config.INFLUX_URL === undefined) return DuckDbTimeSeriesStore.open(join(config.DATA_DIR, 'timeseries.duckdb'))
  const rejected = new Counter({
    name: 'sensorstad_store_rejected_points_total',
    help: 'Points InfluxDB refused in a partial write (the rest of the write was stored)',
    labelNames: ['reason'] as const,
    registers: [metrics]
  })
  return InfluxTimeSeriesStore.open({
    url: config.INFLUX_URL,
    database: config.INFLUX_DB,
    token: config.INFLUX_TOKEN,
    username: config.INFLUX_USER,
    password: config.INFLUX_PASSWORD,
    setup: config.INFLUX_SETUP,
    requestTimeoutMs: config.INFLUX_TIMEOUT_MS,
    retentionDays: new Map([...kinds.values()].map((k) => [k.id, k.retentionDays])),
    onRejected: (count, reason) => {
      rejected.inc({ reason: reason.split(':')[0] ?? reason }, count)
      logger.warn({ count, reason }, 'InfluxDB refused points of a write; the others are stored')
    }
  })
}

/** A certificate or key file; a missing or unreadable file stops the boot naming its variable. */
function readPem (config: Config, variable: 'MQTT_TLS_CERT_PATH' | 'MQTT_TLS_KEY_PATH'): Buffer {
  const path = config[variable] ?? ''
  try {
    return readFileSync(path)
  } catch (err) {
    throw new SensorstadError('CONFIG_ERR_INVALID', `${variable}=${JSON.stringify(path)} cannot be read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, variable)
  }
}

function schedule (variable: string, expression: string, name: string, job: () => Promise<void>, logger: Logger): ScheduledTask {
  if (!cron.validate(expression)) {
    throw new SensorstadError('CONFIG_ERR_INVALID', `${variable}=${JSON.stringify(expression)} is not a cron expression (e.g. "5 * * * * *")`, variable)
  }
  return cron.schedule(expression, async () => {
    try { await job() } catch (err) { logger.error({ err, job: name }, 'scheduled job failed') }
  }, { name, noOverlap: true })
}

import pino, { type Logger } from 'pino'
import type { App } from './api/build-app.js'
import type { DayExportResult } from './api/exports/export-days.js'
import type { LiveFeed } from './api/live-feed.js'
import type { SensorBroker } from './broker/create-broker.js'
import { PROCESS_ROLES, type Config } from './core/config.js'
import { redactPaths, SECRET_NAMES, withheldFieldNames } from './core/sensitive.js'
import type { AlertEngine } from './ingest/alerts/alert-engine.js'
import type { Ingest } from './ingest/ingest.js'
import { loadKinds } from './registry/kind-catalog.js'
import type { Registry } from './registry/registry.js'
import type { GridStore } from './core/ports/grid-store.js'
import type { TimeSeriesStore } from './core/ports/time-series-store.js'
import { startProcess } from './platform/start-process.js'

export { openTimeSeriesStore } from './platform/open-stores.js'
export { startProcess, type RunningProcess } from './platform/start-process.js'

/**
 * The composition root: wires register, stores, ingest, broker, API and scheduled jobs into
 * one running platform. The wiring itself is in `platform/`, one file per role, so a
 * deployment can run the roles in separate processes (issue #9, `startProcess`);
 * `startPlatform` runs all of them in this one, which is `npm start`, and what the end-to-end
 * tests start with port 0 and a temporary DATA_DIR.
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

/** Every role in this process, whatever ROLE says. */
export async function startPlatform (config: Config, logger: Logger = createLogger(config)): Promise<Platform> {
  const p = await startProcess({ ...config, ROLE: [...PROCESS_ROLES] }, logger)
  const { broker, jobs, app, live } = p
  if (broker === undefined || jobs === undefined || app === undefined || live === undefined) {
    await p.close()
    throw new Error('a role did not start')
  }
  return {
    config,
    registry: p.stores.registry,
    store: p.stores.store,
    grid: p.stores.grid,
    ingest: broker.ingest,
    broker: broker.broker,
    app,
    httpUrl: p.httpUrl,
    httpPort: p.httpPort,
    mqttPort: broker.servers.tcpPort,
    mqttWsPort: broker.servers.wsPort,
    mqttTlsPort: broker.servers.tlsPort,
    generatedAdminToken: p.stores.generatedAdminToken,
    alerts: jobs.alerts,
    live,
    runRollup: jobs.runRollup,
    runExport: jobs.runExport,
    close: p.close
  }
}

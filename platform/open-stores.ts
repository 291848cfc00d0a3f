import { join } from 'node:path'
import type { Logger } from 'pino'
import { Counter, type Registry as MetricsRegistry } from 'prom-client'
import type { Config } from '../core/config.js'
import type { AlertStore } from '../core/ports/alert-store.js'
import type { GridStore } from '../core/ports/grid-store.js'
import type { RegistryStore } from '../core/ports/registry-store.js'
import type { TimeSeriesStore } from '../core/ports/time-series-store.js'
import { DuckDbRegistryStore } from '../registry/duckdb-registry-store.js'
import { loadKinds, type KindCatalog } from '../registry/kind-catalog.js'
import { PostgresRegistryStore } from '../registry/postgres-registry-store.js'
import { Registry } from '../registry/registry.js'
import { DuckDbAlertStore } from '../store/duckdb-alert-store.js'
import { DuckDbGridStore } from '../store/duckdb-grid-store.js'
import { DuckDbTimeSeriesStore } from '../store/duckdb-time-series-store.js'
import { InfluxTimeSeriesStore } from '../store/influx-time-series-store.js'
import { PostgresAlertStore } from '../store/postgres-alert-store.js'
import { PostgresGridStore } from '../store/postgres-grid-store.js'
import type { Closers } from './closers.js'

/**
 * The stores of a process, chosen from the config: the embedded DuckDB files under DATA_DIR
 * by default; with DATABASE_URL the register, alert events and grid on PostgreSQL, and with
 * INFLUX_URL the time series on InfluxDB, so that several processes share them (issue #9).
 * The only place that picks an implementation of a store port.
 */
export interface Stores {
  kinds: KindCatalog
  registry: Registry
  store: TimeSeriesStore
  grid: GridStore
  alertStore: AlertStore
  /** An admin token made at first start when ADMIN_TOKEN was not set; shown once. */
  generatedAdminToken: string | undefined
}

export async function openStores (config: Config, metrics: MetricsRegistry, logger: Logger, closers: Closers): Promise<Stores> {
  const kinds = loadKinds()
  const database = config.DATABASE_URL
  // A lost idle connection or a listener reconnecting: the stores recover by themselves.
  const onError = (err: Error): void => logger.warn({ err }, 'PostgreSQL connection trouble; retrying')

  const registryStore: RegistryStore = database === undefined
    ? await DuckDbRegistryStore.open(join(config.DATA_DIR, 'registry.duckdb'))
    : await PostgresRegistryStore.open(database, { onError })
  closers.add(() => registryStore.close())
  const registry = await Registry.open(registryStore, kinds, {
    bootstrapAdminToken: config.ADMIN_TOKEN,
    onSyncError: (err) => logger.warn({ err }, 'a register change made elsewhere could not be applied; reloading')
  })
  closers.add(() => registry.close())
  let generatedAdminToken: string | undefined
  // Only where the admin API runs, so that processes starting together do not each make one.
  if (config.ROLE.includes('api') && !registry.hasAdminToken()) {
    generatedAdminToken = (await registry.createToken('admin', 'first admin (generated at first start)')).token
  }

  const store = await openTimeSeriesStore(config, kinds, metrics, logger)
  closers.add(() => store.close())
  const grid: GridStore = database === undefined
    ? await DuckDbGridStore.open(join(config.DATA_DIR, 'grid.duckdb'))
    : await PostgresGridStore.open(database, { onError })
  closers.add(() => grid.close())
  const alertStore: AlertStore = database === undefined
    ? await DuckDbAlertStore.open(join(config.DATA_DIR, 'alerts.duckdb'))
    : await PostgresAlertStore.open(database, { onError })
  closers.add(() => alertStore.close())
  return { kinds, registry, store, grid, alertStore, generatedAdminToken }
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

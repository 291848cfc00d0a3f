import type { Logger } from 'pino'
import type { Registry as MetricsRegistry } from 'prom-client'
import type { Config } from '../core/config.js'
import type { Closers } from './closers.js'
import type { ClusterLink } from './open-cluster.js'
import type { Stores } from './open-stores.js'

/** What every role of a process is started with: its settings, stores and peers. */
export interface ProcessContext {
  config: Config
  logger: Logger
  metrics: MetricsRegistry
  stores: Stores
  cluster: ClusterLink
  closers: Closers
}

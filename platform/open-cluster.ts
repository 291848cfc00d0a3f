import type { Logger } from 'pino'
import { hostname } from 'node:os'
import { MemoryEventBus } from '../cluster/memory-event-bus.js'
import { MemoryJobLock } from '../cluster/memory-job-lock.js'
import { openRedisBrokerState } from '../cluster/redis-broker-state.js'
import { RedisEventBus } from '../cluster/redis-event-bus.js'
import { RedisJobLock } from '../cluster/redis-job-lock.js'
import type { BrokerClusterState } from '../broker/create-broker.js'
import type { Config } from '../core/config.js'
import type { EventBus } from '../core/ports/event-bus.js'
import type { JobLock } from '../core/ports/job-lock.js'
import type { Closers } from './closers.js'

/**
 * How this process meets the others (issue #9): with REDIS_URL, the event bus, the job lock
 * and the broker's shared state in Redis; without it, their in-process equivalents, so the
 * all-in-one process runs the same code with itself as the only peer.
 */
export interface ClusterLink {
  instanceId: string
  bus: EventBus
  lock: JobLock
  /** Opens the broker's shared state (undefined without Redis: aedes keeps it in memory). */
  brokerState (): Promise<BrokerClusterState | undefined>
}

export async function openCluster (config: Config, logger: Logger, closers: Closers): Promise<ClusterLink> {
  const instanceId = config.INSTANCE_ID ?? `${hostname()}-${process.pid}`
  const url = config.REDIS_URL
  if (url === undefined) {
    const bus = new MemoryEventBus({ onError: (err) => logger.error({ err }, 'event handler failed') })
    closers.add(() => bus.close())
    return { instanceId, bus, lock: new MemoryJobLock(instanceId), brokerState: async () => undefined }
  }
  // ioredis retries for ever; one line per failure would flood the log during an outage.
  const onError = throttled((err: Error) => logger.warn({ err }, 'Redis connection trouble; reconnecting'), 5_000)
  const bus = await RedisEventBus.open(url, { onError })
  closers.add(() => bus.close())
  const lock = await RedisJobLock.open(url, { owner: instanceId, onError })
  closers.add(() => lock.close())
  return { instanceId, bus, lock, brokerState: () => openRedisBrokerState(url, { onError }) }
}

function throttled (report: (err: Error) => void, everyMs: number): (err: Error) => void {
  let last = 0
  return (err) => {
    const now = Date.now()
    if (now - last < everyMs) return
    last = now
    report(err)
  }
}

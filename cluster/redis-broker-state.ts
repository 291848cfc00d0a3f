import { createRequire } from 'node:module'
import type { Redis } from 'ioredis'
import MQEmitterRedis from 'mqemitter-redis'
import { closeRedis, openRedis } from './redis-connection.js'

/**
 * The shared state of a broker cluster in Redis (DESIGN.md section 8), handed to
 * `createBroker` as its `cluster` option: mqemitter-redis routes every message between the
 * broker processes (one connection publishes, one subscribes), and aedes-persistence-redis
 * keeps sessions, subscriptions, retained messages, offline queues and wills (one
 * connection). All three connections are opened here, the same way as every other Redis
 * connection (redis-connection.ts), and closed by the broker's close: the emitter by
 * aedes.close, the persistence by its destroy.
 */
interface AedesRedisPersistence {
  destroy (): Promise<void>
}

// The package's main export: its async persistence behind the layer that gives aedes 1.x the
// Node streams it pipes (retained messages, offline queues, wills) and an async `setup`. It
// ships no types.
const require = createRequire(import.meta.url)
const aedesPersistenceRedis = require('aedes-persistence-redis') as (options: { conn: Redis }) => AedesRedisPersistence

export interface RedisBrokerState {
  mq: MQEmitterRedis.MQEmitterRedis
  persistence: AedesRedisPersistence
}

export async function openRedisBrokerState (url: string, options: { onError: (err: Error) => void }): Promise<RedisBrokerState> {
  const opened: Redis[] = []
  try {
    for (const name of ['sensorstad-mqtt-sub', 'sensorstad-mqtt-pub', 'sensorstad-mqtt-state']) {
      opened.push(await openRedis(url, { name, onError: options.onError }))
    }
  } catch (err) {
    await Promise.all(opened.map(closeRedis))
    throw err
  }
  const [subConn, pubConn, conn] = opened as [Redis, Redis, Redis]
  for (const redis of opened) markFailuresHandled(redis, ['lrem', 'rpush', 'quit'])
  // As aedes' own in-memory emitter: `#` also matches the parent level [MQTT-4.7.1-2], and
  // at most 100 deliveries in flight.
  const mq = MQEmitterRedis({ subConn, pubConn, matchEmptyLevels: true, concurrency: 100 })
  // The emitter reports connection trouble on `state`; unheard, an 'error' ends the process.
  ;(mq as unknown as { state: NodeJS.EventEmitter }).state.on('error', options.onError)
  return { mq, persistence: aedesPersistenceRedis({ conn }) }
}

/**
 * aedes-persistence-redis 11 leaves some commands un-awaited (LREM and RPUSH in putWill and
 * delWill, which every CONNECT runs), and mqemitter-redis its QUITs. While Redis is away, or
 * at shutdown, they fail, and a failed promise nobody handles ends a Node process: one Redis
 * blip would take every broker down as sensors reconnect. Their failures are marked handled
 * here; whoever awaits the command still gets it, and the awaited commands next to them
 * report the outage to aedes.
 */
function markFailuresHandled (redis: Redis, commands: ReadonlyArray<'lrem' | 'rpush' | 'quit'>): void {
  const methods = redis as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>
  for (const name of commands) {
    const original = methods[name]!.bind(redis)
    methods[name] = (...args: unknown[]) => {
      const result = original(...args)
      result.catch(() => {})
      return result
    }
  }
}

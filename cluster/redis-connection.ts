import { Redis } from 'ioredis'
import { withoutPassword } from '../core/config.js'

/**
 * One connection to the deployment's Redis (`REDIS_URL`), opened the same way for every user:
 * the event bus, the job lock, and aedes' emitter and persistence. It connects before it is
 * handed out, so a wrong URL stops the boot instead of failing the first publish; after that
 * it reconnects by itself (backoff up to 2 s) and reports trouble to `onError`. A command
 * issued while Redis is away waits for the reconnect and fails after a few tries, so callers
 * learn of an outage within seconds rather than queueing without bound.
 */
export interface RedisConnectionOptions {
  /** Shown by CLIENT LIST, so an operator can tell the connections apart. */
  name: string
  onError: (err: Error) => void
}

export async function openRedis (url: string, options: RedisConnectionOptions): Promise<Redis> {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectionName: options.name,
    connectTimeout: 5_000,
    maxRetriesPerRequest: 3,
    retryStrategy: (times) => Math.min(times * 100, 2_000)
  })
  // Without a listener an 'error' event ends the process; ioredis reconnects by itself.
  redis.on('error', options.onError)
  try {
    await redis.connect()
  } catch (err) {
    redis.disconnect()
    throw new Error(`Redis at ${withoutPassword(url)} did not answer (${(err instanceof Error ? err.message : String(err)).replace(/\.$/, '')})`)
  }
  return redis
}

/** Closes politely (QUIT), or at once when Redis is not there to answer. */
export async function closeRedis (redis: Redis): Promise<void> {
  if (redis.status === 'end') return
  if (redis.status !== 'ready') {
    redis.disconnect()
    return
  }
  try { await redis.quit() } catch { redis.disconnect() }
}

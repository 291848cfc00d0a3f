import { afterAll, beforeAll, describe } from 'vitest'
import { RedisEventBus } from '../../cluster/redis-event-bus.js'
import { hasRedis, requireRedisInCi, startRedis, type Redis } from '../helpers/redis.js'
import { eventBusConformance } from './event-bus.conformance.js'

/** The Redis bus on a real redis-server (test/helpers/redis.ts), two connections as two processes. */
requireRedisInCi()

let redis: Redis | undefined

describe.skipIf(!hasRedis)('RedisEventBus', () => {
  beforeAll(async () => { redis = await startRedis() })
  afterAll(async () => { await redis?.destroy() })

  eventBusConformance('redis', async () => {
    const url = redis!.url
    const onError = (): void => {}
    return [await RedisEventBus.open(url, { onError }), await RedisEventBus.open(url, { onError })]
  })
})

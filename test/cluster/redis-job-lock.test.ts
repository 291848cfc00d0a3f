import { afterAll, beforeAll, describe } from 'vitest'
import { RedisJobLock } from '../../cluster/redis-job-lock.js'
import { hasRedis, requireRedisInCi, startRedis, type Redis } from '../helpers/redis.js'
import { jobLockConformance } from './job-lock.conformance.js'

/** The Redis lock on a real redis-server (test/helpers/redis.ts), one connection per "process". */
requireRedisInCi()

let redis: Redis | undefined

describe.skipIf(!hasRedis)('RedisJobLock', () => {
  beforeAll(async () => { redis = await startRedis() })
  afterAll(async () => { await redis?.destroy() })

  jobLockConformance('redis', async (owner) => RedisJobLock.open(redis!.url, { owner, onError: () => {} }))
})

import type { Redis } from 'ioredis'
import type { JobLock } from '../core/ports/job-lock.js'
import { closeRedis, openRedis } from './redis-connection.js'

/**
 * Claims and leases in Redis (`REDIS_URL`), shared by every process of a deployment. A claim
 * is `SET key owner NX PX ttl`: Redis runs commands one at a time, so exactly one process
 * gets OK for a key. A lease renews or takes its key in one Lua script, so no other process
 * can slip in between reading who holds it and extending it.
 */
const LEASE = `
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if holder then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`

export interface RedisJobLockOptions {
  owner: string
  /** Default `sensorstad:lock:`. */
  prefix?: string
  onError: (err: Error) => void
}

export class RedisJobLock implements JobLock {
  readonly owner: string
  readonly #redis: Redis
  readonly #prefix: string

  private constructor (redis: Redis, options: RedisJobLockOptions) {
    this.#redis = redis
    this.owner = options.owner
    this.#prefix = options.prefix ?? 'sensorstad:lock:'
  }

  static async open (url: string, options: RedisJobLockOptions): Promise<RedisJobLock> {
    return new RedisJobLock(await openRedis(url, { name: 'sensorstad-lock', onError: options.onError }), options)
  }

  async claim (job: string, slot: string, ttlMs: number): Promise<boolean> {
    return await this.#redis.set(`${this.#prefix}job:${job}:${slot}`, this.owner, 'PX', Math.ceil(ttlMs), 'NX') === 'OK'
  }

  async lease (name: string, ttlMs: number): Promise<boolean> {
    return await this.#redis.eval(LEASE, 1, `${this.#prefix}lease:${name}`, this.owner, Math.ceil(ttlMs)) === 1
  }

  async release (name: string): Promise<void> {
    await this.#redis.eval(RELEASE, 1, `${this.#prefix}lease:${name}`, this.owner)
  }

  async close (): Promise<void> {
    await closeRedis(this.#redis)
  }
}

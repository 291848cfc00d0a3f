import pg from 'pg'
import { Redis as IoRedis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { requirePostgresInCi, startPostgres, type Postgres } from './postgres.js'
import { requireRedisInCi, startRedis, type Redis } from './redis.js'

/** The test servers themselves: each starts, answers, and survives a stop and start. */
describe('test servers', () => {
  requirePostgresInCi()
  requireRedisInCi()
  let postgres: Postgres
  let redis: Redis
  beforeAll(async () => { [postgres, redis] = await Promise.all([startPostgres(), startRedis()]) }, 60_000)
  afterAll(async () => { await Promise.all([postgres?.destroy(), redis?.destroy()]) })

  it('PostgreSQL keeps a database across a restart', async () => {
    const url = await postgres.createDatabase()
    const write = new pg.Client({ connectionString: url })
    await write.connect()
    await write.query('CREATE TABLE t (v int)')
    await write.query('INSERT INTO t VALUES (42)')
    await write.end()
    await postgres.stop()
    await postgres.start()
    const read = new pg.Client({ connectionString: url })
    await read.connect()
    const { rows } = await read.query('SELECT v FROM t')
    await read.end()
    expect(rows).toEqual([{ v: 42 }])
  }, 60_000)

  it('Redis answers on its port', async () => {
    const client = new IoRedis(redis.url)
    await client.set('k', 'v')
    expect(await client.get('k')).toBe('v')
    client.disconnect()
  })
})

import { describe, expect, it } from 'vitest'
import { loadConfig, withoutPassword } from '../../core/config.js'
import { errorOf } from '../helpers/error-of.js'

/** The settings of a deployment of several processes (issue #9). */
const SHARED = { REDIS_URL: 'redis://127.0.0.1:6379', DATABASE_URL: 'postgres://sensorstad@127.0.0.1/sensorstad', INFLUX_URL: 'http://127.0.0.1:8086' }

describe('loadConfig: scaling out', () => {
  it('runs every role by default, and takes one or several by name', () => {
    expect(loadConfig({}).ROLE).toEqual(['broker', 'api', 'jobs'])
    expect(loadConfig({ ROLE: 'all' }).ROLE).toEqual(['broker', 'api', 'jobs'])
    expect(loadConfig({ ...SHARED, ROLE: 'broker' }).ROLE).toEqual(['broker'])
    expect(loadConfig({ ...SHARED, ROLE: 'jobs, API' }).ROLE).toEqual(['api', 'jobs'])
    expect(errorOf(() => loadConfig({ ...SHARED, ROLE: 'brokers' })).field).toBe('ROLE')
    expect(errorOf(() => loadConfig({ ...SHARED, ROLE: 'all,api' })).field).toBe('ROLE')
  })

  it('needs Redis, PostgreSQL and InfluxDB for anything but all, naming each one missing', () => {
    const err = errorOf(() => loadConfig({ ROLE: 'api', REDIS_URL: SHARED.REDIS_URL }))
    expect(err.code).toBe('CONFIG_ERR_INVALID')
    expect(err.message).toMatch(/DATABASE_URL/)
    expect(err.message).toMatch(/INFLUX_URL/)
    expect(err.message).not.toMatch(/REDIS_URL=/)
    // The all-in-one process may use any of them, or none.
    expect(loadConfig({ REDIS_URL: SHARED.REDIS_URL }).REDIS_URL).toBe(SHARED.REDIS_URL)
  })

  it('takes only redis and postgres URLs for them', () => {
    expect(loadConfig({ REDIS_URL: 'rediss://:pw@cache.example:6380/2' }).REDIS_URL).toBe('rediss://:pw@cache.example:6380/2')
    expect(loadConfig({ DATABASE_URL: 'postgresql://u@db/s' }).DATABASE_URL).toBe('postgresql://u@db/s')
    expect(errorOf(() => loadConfig({ REDIS_URL: 'http://127.0.0.1:6379' })).field).toBe('REDIS_URL')
    expect(errorOf(() => loadConfig({ DATABASE_URL: 'mysql://db/s' })).field).toBe('DATABASE_URL')
    expect(errorOf(() => loadConfig({ INSTANCE_ID: 'has space' })).field).toBe('INSTANCE_ID')
    expect(errorOf(() => loadConfig({ LEADER_LEASE_MS: '50' })).field).toBe('LEADER_LEASE_MS')
  })

  it('never prints the password of a refused URL', () => {
    for (const [name, value] of [
      ['REDIS_URL', 'http://:s3cret-redis@cache:6379'],
      ['DATABASE_URL', 'mysql://admin:s3cret-pg@db/s'],
      ['INFLUX_URL', 'not a url with s3cret-influx'],
      ['REDIS_URL', 'redis//:s3cret@cache:6379']
    ] as const) {
      const err = errorOf(() => loadConfig({ [name]: value }))
      expect(err.field).toBe(name)
      expect(err.message).toContain(name)
      expect(err.message).not.toMatch(/s3cret/)
    }
    expect(errorOf(() => loadConfig({ REDIS_URL: 'http://:s3cret@cache:6379' })).message).toContain('http://:hidden@cache:6379')
  })

  it('shows URLs without their password', () => {
    expect(withoutPassword('redis://:s3cret@cache:6379/0')).toBe('redis://:hidden@cache:6379/0')
    expect(withoutPassword('postgres://sensorstad:s3cret@db:5432/s')).toBe('postgres://sensorstad:hidden@db:5432/s')
    expect(withoutPassword('redis://cache:6379')).toBe('redis://cache:6379')
    expect(withoutPassword('s3cret')).not.toContain('s3cret')
  })
})

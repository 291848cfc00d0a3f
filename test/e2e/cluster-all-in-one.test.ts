import mqtt from 'mqtt'
import { Redis as RedisClient } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api, connectSensor, eventually, registerSensor, startTestPlatform, topic, type TestPlatform } from '../helpers/platform.js'
import { hasRedis, requireRedisInCi, startRedis, type Redis } from '../helpers/redis.js'
import { openSse } from '../helpers/sse.js'

/**
 * `npm start` with REDIS_URL set (issue #9): every role in one process, meeting itself through
 * Redis: the broker's sessions and routing, the event bus and the job lock. Everything works
 * as without Redis, and closing the process closes every connection it opened.
 */
requireRedisInCi()

describe.skipIf(!hasRedis)('the all-in-one process over Redis', () => {
  let redis: Redis
  let p: TestPlatform
  let admin: RedisClient

  beforeAll(async () => {
    redis = await startRedis()
    admin = new RedisClient(redis.url)
    p = await startTestPlatform({ env: { REDIS_URL: redis.url } })
  })
  afterAll(async () => {
    await p?.destroy()
    admin?.disconnect()
    await redis?.destroy()
  })

  it('takes a reading, streams it on /v1/live and open/v1, and keeps the session in Redis', async () => {
    const bin = await registerSensor(p, 'wastebin', 'bin-redis')
    const live = await openSse(`http://127.0.0.1:${p.httpPort}/v1/live?kind=wastebin`, {})
    const reader = await mqtt.connectAsync({ host: '127.0.0.1', port: p.mqttPort, clientId: 'open-reader', reconnectPeriod: 0 })
    const heard = new Promise<string>((resolve) => reader.once('message', (_topic, payload) => resolve(payload.toString())))
    await reader.subscribeAsync('open/v1/wastebin/bin-redis/#')

    const sensor = await connectSensor(p, bin, { clean: false })
    await sensor.subscribeAsync(topic(bin, 'errors'), { qos: 1 })
    await sensor.publishAsync(topic(bin, 'json'), JSON.stringify({ fillingLevel: 64 }), { qos: 1 })

    expect(JSON.parse(await heard)).toMatchObject({ sensorId: 'bin-redis', field: 'fillingLevel', value: 64 })
    const events = await live.until((e) => e.some((x) => x.event === 'observation'))
    expect(JSON.parse(events.find((x) => x.event === 'observation')!.data)).toMatchObject({ sensorId: 'bin-redis', value: 64 })
    // aedes-persistence-redis keeps the subscription where another broker process would find it.
    expect(await admin.smembers('clients')).toContain('bin-redis')
    live.close()
    reader.end(true)
    sensor.end(true)
  })

  it('closes every Redis connection it opened', async () => {
    const names = async (): Promise<string[]> => ((await admin.call('CLIENT', 'LIST')) as string).split('\n').map((line) => /name=(\S*)/.exec(line)?.[1] ?? '').filter((n) => n.startsWith('sensorstad-'))
    expect((await names()).sort()).toEqual(['sensorstad-bus-pub', 'sensorstad-bus-sub', 'sensorstad-lock', 'sensorstad-mqtt-pub', 'sensorstad-mqtt-state', 'sensorstad-mqtt-sub'])
    await p.close()
    const deadline = Date.now() + 3_000
    while ((await names()).length > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25))
    expect(await names()).toEqual([])
  })
})

describe.skipIf(!hasRedis)('the all-in-one process when Redis goes away', () => {
  let redis: Redis
  let p: TestPlatform

  beforeAll(async () => {
    redis = await startRedis()
    p = await startTestPlatform({ env: { REDIS_URL: redis.url } })
  })
  afterAll(async () => {
    await p?.destroy()
    await redis?.destroy()
  })

  it('stays up while sensors try to connect, and takes readings again once Redis is back', async () => {
    const bin = await registerSensor(p, 'wastebin', 'bin-outage')
    await redis.stop()
    // CONNECTs during the outage run aedes' session bookkeeping against the missing Redis;
    // its failures must not end the process (an unhandled rejection fails this test too).
    const during = Array.from({ length: 3 }, () => mqtt.connect({ host: '127.0.0.1', port: p.mqttPort, clientId: bin.id, username: bin.id, password: bin.password, clean: false, reconnectPeriod: 0 }))
    for (const client of during) client.on('error', () => {})
    // Long enough for ioredis to give up on the commands (three retries, under a second).
    await new Promise((resolve) => setTimeout(resolve, 2_000))
    expect((await api(p, 'GET', '/healthz')).status).toBe(200)
    const connectedDuring = during.filter((c) => c.connected).length
    for (const client of during) client.end(true)
    await redis.start()

    const stored = await eventually(async () => {
      try {
        const client = await connectSensor(p, bin, { clean: false, connectTimeout: 1_000 })
        await client.publishAsync(topic(bin, 'json'), JSON.stringify({ fillingLevel: 77 }), { qos: 1 })
        await client.endAsync()
        return true
      } catch {
        return undefined
      }
    }, 15_000)
    expect(stored).toBe(true)
    expect((await api(p, 'GET', '/v1/latest?sensor=bin-outage')).body.data[0]).toMatchObject({ value: 77 })
    console.info('CONNACKs during the Redis outage:', connectedDuring, 'of', during.length)
  }, 30_000)
})

import mqtt, { type MqttClient } from 'mqtt'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { NumberedStream } from '../helpers/numbered-stream.js'
import { metric, newDeployment, startClusterServers, type ClusterProcess, type ClusterServers, type Deployment } from '../helpers/cluster.js'
import { hasInfluxd, requireInfluxdInCi } from '../helpers/influxd.js'
import { ADMIN_TOKEN, registration, ROOT, ZONE_VREDENBURG } from '../helpers/platform.js'
import { stopPlatformProcess } from '../helpers/platform-process.js'
import { hasPostgres, requirePostgresInCi } from '../helpers/postgres.js'
import { hasRedis, requireRedisInCi } from '../helpers/redis.js'
import { openSse } from '../helpers/sse.js'

/**
 * Issue #9, "How it is checked": separate OS processes sharing real Redis, PostgreSQL and
 * InfluxDB. Two broker processes and an API process (which also runs the jobs) take a
 * numbered QoS 1 stream from sensors spread over both brokers; one broker dies by SIGKILL
 * mid-stream; every acknowledged reading is stored exactly once, the dead broker's sensors
 * carry on at the other with their sessions, open data crosses brokers, a suspension made
 * through the API closes the sensor's connection on whichever broker holds it, and the API
 * streams what the brokers stored. Then three jobs processes run a job once per slot and
 * hand the alert engine's lease on when its holder dies.
 */
requireRedisInCi()
requirePostgresInCi()
requireInfluxdInCi()

const SENSORS = 6

let servers: ClusterServers | undefined
let deployment: Deployment | undefined
const clients: MqttClient[] = []

describe.skipIf(!(hasRedis && hasPostgres && hasInfluxd))('a deployment of several processes (issue #9)', () => {
  beforeAll(async () => { servers = await startClusterServers() }, 60_000)
  afterEach(async () => {
    for (const client of clients.splice(0)) client.end(true)
    await deployment?.destroy()
    deployment = undefined
  })
  afterAll(async () => { await servers?.destroy() })

  it('loses no acknowledged reading when a broker process is killed, and shares sessions, open data, suspensions and live events', async () => {
    deployment = await newDeployment(servers!)
    const [a, b, api] = await Promise.all([
      deployment.start('broker-a', 'broker'),
      deployment.start('broker-b', 'broker'),
      // Alerts at once: no minimum duration, zones evaluated every second.
      deployment.start('api-1', 'api,jobs', { ALERT_MIN_DURATION_S: '0', ALERT_TICK_S: '1' })
    ])

    const live = await openSse(`${api.url}/v1/live?kind=wastebin`, {})
    const watcher = await mqtt.connectAsync({ host: '127.0.0.1', port: b.mqttPort, clientId: 'open-watch-b', reconnectPeriod: 0 })
    clients.push(watcher)
    const openSeen = new Map<string, number>()
    watcher.on('message', (topic) => { if (!openSeen.has(topic)) openSeen.set(topic, Date.now()) })
    await watcher.subscribeAsync('open/v1/wastebin/#', { qos: 0 })

    // Even sensors start on broker A, odd ones on B; each has both, and moves on when one goes.
    const streams: NumberedStream[] = []
    for (let i = 0; i < SENSORS; i++) {
      const id = `bin-c${i}`
      const registered = await http(api, 'POST', '/v1/admin/sensors', registration('wastebin', id))
      const order = i % 2 === 0 ? [a, b] : [b, a]
      const client = await connectWhenKnown(id, registered.credentials.password as string, order)
      await client.subscribeAsync(`${ROOT}/wastebin/${id}/errors`, { qos: 1 })
      streams.push(new NumberedStream(id, client, i % 2 === 0 ? 'a' : 'b'))
    }
    for (const s of streams) s.start()

    // A crowd monitor on broker B: its count reaches the alert engine in the API process.
    const alertStream = await openSse(`${api.url}/v1/alerts/stream`, { authorization: `Bearer ${ADMIN_TOKEN}` })
    await http(api, 'POST', '/v1/admin/zones', { ...ZONE_VREDENBURG, id: 'plein', name: 'Plein', areaM2: 100 })
    const crowd = await http(api, 'POST', '/v1/admin/sensors', registration('crowd', 'crowd-c', { zoneId: 'plein' }))
    const monitor = await connectWhenKnown('crowd-c', crowd.credentials.password as string, [b])
    await monitor.publishAsync(`${ROOT}/crowd/crowd-c/json`, JSON.stringify({ peopleCount: 120 }), { qos: 1 })
    await sleep(1_000)

    // No ingest crosses brokers: each broker process stored only its own sensors' readings.
    for (const s of streams) {
      const other = s.home === 'a' ? b : a
      expect(await metric(other, 'sensorstad_readings_accepted_total', { sensor: s.id })).toBe(0)
    }
    const killedAt = Date.now()
    expect((await stopPlatformProcess(a, 'SIGKILL')).signal).toBe('SIGKILL')
    await sleep(2_500)
    for (const s of streams) s.stop()
    await Promise.all(streams.map((s) => s.settled(20_000)))

    // Every acknowledged reading stored exactly once: the same keys, none twice; and B, which
    // kept its own sensors throughout, ingested each of their messages once.
    for (const s of streams) {
      expect(s.acked.size).toBe(s.sent)
      expect(await storedOffsets(api, s)).toEqual([...s.acked.keys()].sort((x, y) => x - y))
      if (s.home === 'b') expect(await metric(b, 'sensorstad_readings_accepted_total', { sensor: s.id })).toBe(s.sent)
    }
    // The killed broker's sensors resumed on the other, finding their session there.
    const moved = streams.filter((s) => s.home === 'a')
    const failoverMs = moved.map((s) => s.firstAckAfter(killedAt) - killedAt)
    for (const s of moved) {
      expect(s.ackedAfter(killedAt)).toBeGreaterThan(10)
      expect(s.connects.length).toBeGreaterThanOrEqual(2)
      expect(s.connects.at(-1)!.sessionPresent).toBe(true)
    }
    // A subscriber on B heard open data that broker A published.
    const seenBeforeKill = moved.filter((s) => (openSeen.get(`open/v1/wastebin/${s.id}/fillingLevel`) ?? Infinity) < killedAt)
    expect(seenBeforeKill.length).toBeGreaterThan(0)
    // The API process streamed readings that both broker processes stored.
    const observed = new Set(live.events.filter((e) => e.event === 'observation').map((e) => JSON.parse(e.data).sensorId as string))
    expect(streams.filter((s) => observed.has(s.id)).map((s) => s.home).sort()).toContain('a')
    expect(streams.filter((s) => observed.has(s.id)).map((s) => s.home)).toContain('b')
    live.close()
    // The count a broker process stored raised an alert in the jobs role, streamed by the API.
    // (The monitor may be reported silent first: registered a moment before its first count.)
    const levels = (events: Array<{ event: string, data: string }>) => events.filter((x) => x.event === 'alert').map((x) => JSON.parse(x.data)).filter((e) => e.type === 'level')
    const alertEvents = await alertStream.until((e) => levels(e).length > 0, 10_000)
    expect(levels(alertEvents)[0]).toMatchObject({ zoneId: 'plein', type: 'level', level: 'critical', count: 120 })
    alertStream.close()

    // A suspension through the API closes the connection on the broker that holds it.
    const target = streams.find((s) => s.home === 'b')!
    const closed = new Promise<number>((resolve) => target.client.once('close', () => resolve(Date.now())))
    target.client.options.reconnectPeriod = 0
    const suspendedAt = Date.now()
    await http(api, 'POST', `/v1/admin/sensors/${target.id}/suspend`)
    const disconnectMs = (await Promise.race([closed, sleep(3_000).then(() => Infinity)])) - suspendedAt
    expect(disconnectMs).toBeLessThan(1_000)

    console.info('cluster: readings', streams.map((s) => `${s.id}@${s.home} sent ${s.sent} acked ${s.acked.size} retried ${s.retried}`),
      'failover ms per moved sensor', failoverMs, 'suspend-to-disconnect ms', disconnectMs)
    expect(Math.max(...failoverMs)).toBeLessThan(5_000)
    // The surviving broker process stops cleanly on SIGTERM.
    for (const client of clients.splice(0)) client.end(true)
    expect((await stopPlatformProcess(b, 'SIGTERM')).code, b.output()).toBe(0)
  }, 60_000)

  it('runs a scheduled job once per slot across three processes, and hands the alert lease on when its holder dies', async () => {
    deployment = await newDeployment(servers!)
    const env = { ROLLUP_CRON: '* * * * * *', LOG_LEVEL: 'debug', LEADER_LEASE_MS: '1500' }
    const jobs = await Promise.all(['jobs-1', 'jobs-2', 'jobs-3'].map((name) => deployment!.start(name, 'jobs', env)))
    await sleep(5_000)

    const leaders = await leadersOf(jobs)
    expect(leaders).toHaveLength(1)
    const killedAt = Date.now()
    await stopPlatformProcess(leaders[0]!, 'SIGKILL')
    const survivors = jobs.filter((p) => p !== leaders[0])
    let takeoverMs = Infinity
    for (let i = 0; i < 60 && takeoverMs === Infinity; i++) {
      if ((await leadersOf(survivors)).length === 1) takeoverMs = Date.now() - killedAt
      else await sleep(100)
    }
    await sleep(2_000)

    // Each slot claimed by exactly one process, and every second of the run has its slot.
    const claimed = jobs.flatMap((p) => claimedSlots(p, 'rollup'))
    const slots = claimed.map((c) => c.slot).sort()
    expect(new Set(slots).size).toBe(slots.length)
    const seconds = slots.map((s) => Date.parse(s) / 1000)
    const inner = seconds.slice(1, -1)
    expect(inner.length).toBeGreaterThanOrEqual(5)
    expect(inner.at(-1)! - inner[0]! + 1).toBe(inner.length)
    // The processes' own counts agree with their claims, but for a run still in progress: the
    // counter goes up when a run ends, and runs of a job do not overlap, so a process is at
    // most one behind its claims. Counted first, so a claim logged after is that one.
    for (const p of survivors) {
      const done = await metric(p, 'sensorstad_scheduled_runs_total', { job: 'rollup', outcome: 'done' })
      const behind = claimedSlots(p, 'rollup').length - done
      expect(behind, p.name).toBeGreaterThanOrEqual(0)
      expect(behind, p.name).toBeLessThanOrEqual(1)
    }
    expect(new Set(claimed.map((c) => c.process)).size).toBeGreaterThan(1)

    // A leader stopped with SIGTERM exits cleanly and gives its lease up: the last one takes
    // it at its next attempt instead of waiting for the lease to expire.
    const [second] = await leadersOf(survivors)
    const last = survivors.find((p) => p !== second)!
    const stoppedAt = Date.now()
    expect((await stopPlatformProcess(second!, 'SIGTERM')).code, second!.output()).toBe(0)
    let handoverMs = Infinity
    for (let i = 0; i < 40 && handoverMs === Infinity; i++) {
      if (await metric(last, 'sensorstad_leader') === 1) handoverMs = Date.now() - stoppedAt
      else await sleep(50)
    }
    console.info('jobs: rollup slots', slots.length, 'by process', Object.fromEntries(jobs.map((p) => [p.name, claimed.filter((c) => c.process === p.name).length])), 'lease takeover after SIGKILL ms', takeoverMs, 'after SIGTERM ms', handoverMs)
    // LEADER_LEASE_MS 1500: expiry, plus a third for the next attempt, plus the polling.
    expect(takeoverMs).toBeLessThan(1_500 + 500 + 1_000)
    expect(handoverMs).toBeLessThan(1_500)
  }, 60_000)
})

/** Connects once the brokers' registers have the new sensor (PostgreSQL NOTIFY, within a second). */
async function connectWhenKnown (id: string, password: string, order: ClusterProcess[]): Promise<MqttClient> {
  const deadline = Date.now() + 5_000
  for (;;) {
    try {
      const client = await mqtt.connectAsync({
        servers: order.map((p) => ({ host: '127.0.0.1', port: p.mqttPort })),
        clientId: id,
        username: id,
        password,
        clean: false,
        reconnectPeriod: 0,
        connectTimeout: 2_000,
        keepalive: 10
      })
      // From now on it reconnects by itself, to the next server in its list.
      client.options.reconnectPeriod = 100
      client.on('error', () => {})
      clients.push(client)
      return client
    } catch (err) {
      if (Date.now() > deadline) throw err
      await sleep(100)
    }
  }
}

async function storedOffsets (api: ClusterProcess, s: NumberedStream): Promise<number[]> {
  const query = new URLSearchParams({
    sensor: s.id,
    field: 'fillingLevel',
    from: new Date(s.t0).toISOString(),
    to: new Date(s.t0 + s.sent).toISOString(),
    limit: '100000'
  })
  const page = await http(api, 'GET', `/v1/observations?${query}`)
  expect(page.truncated ?? false).toBe(false)
  return (page.data as Array<{ time: string }>).map((o) => Date.parse(o.time) - s.t0)
}

async function http (p: ClusterProcess, method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${p.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body)
  })
  const parsed = await res.json() as unknown
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(parsed)}`)
  return parsed
}

async function leadersOf (processes: ClusterProcess[]): Promise<ClusterProcess[]> {
  const flags = await Promise.all(processes.map((p) => metric(p, 'sensorstad_leader')))
  return processes.filter((_, i) => flags[i] === 1)
}

/** The slots a process claimed for `job`, from its debug log lines. */
function claimedSlots (p: ClusterProcess, job: string): Array<{ process: string, slot: string }> {
  return p.output().split('\n').flatMap((line) => {
    if (!line.includes('scheduled job claimed')) return []
    const entry = JSON.parse(line) as { job?: string, slot?: string }
    return entry.job === job && entry.slot !== undefined ? [{ process: p.name, slot: entry.slot }] : []
  })
}

function sleep (ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

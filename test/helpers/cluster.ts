import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startInfluxd, type Influxd } from './influxd.js'
import { ADMIN_TOKEN } from './platform.js'
import { freePort, startPlatformProcess, stopPlatformProcess, type PlatformProcess } from './platform-process.js'
import { startPostgres, type Postgres } from './postgres.js'
import { startRedis } from './redis.js'

/**
 * A deployment of several Sensorstad processes for tests (issue #9): real PostgreSQL and
 * influxd on loopback ports shared by the tests of a file, a redis-server of its own per
 * deployment (aedes keeps its keys unprefixed, and leases must not outlive a test), and
 * `main.ts` processes of chosen roles, each with its own DATA_DIR and ports, so any of them
 * can be killed like a machine.
 */
export interface ClusterServers {
  postgres: Postgres
  influxd: Influxd
  destroy (): Promise<void>
}

export async function startClusterServers (): Promise<ClusterServers> {
  const started = await Promise.allSettled([startPostgres(), startInfluxd()])
  const [postgres, influxd] = started.map((r) => r.status === 'fulfilled' ? r.value : undefined) as [Postgres?, Influxd?]
  const destroy = async (): Promise<void> => { await Promise.all([postgres?.destroy(), influxd?.destroy()]) }
  const failed = started.find((r) => r.status === 'rejected')
  if (failed !== undefined || postgres === undefined || influxd === undefined) {
    await destroy()
    throw (failed as PromiseRejectedResult | undefined)?.reason ?? new Error('a server did not start')
  }
  return { postgres, influxd, destroy }
}

export interface Deployment {
  /** Settings every process of the deployment shares: Redis, one PostgreSQL database, one InfluxDB database. */
  env: Record<string, string>
  processes: ClusterProcess[]
  start (name: string, role: string, env?: Record<string, string>): Promise<ClusterProcess>
  /** Stops every process (SIGKILL: the tests are done with them) and removes their data. */
  destroy (): Promise<void>
}

export interface ClusterProcess extends PlatformProcess {
  name: string
  httpPort: number
  mqttPort: number
  dataDir: string
  url: string
}

let deployments = 0

/** A fresh deployment: its own Redis, PostgreSQL database and InfluxDB database. */
export async function newDeployment (servers: ClusterServers): Promise<Deployment> {
  const id = `${process.pid}_${++deployments}`
  const redis = await startRedis()
  const env = {
    REDIS_URL: redis.url,
    DATABASE_URL: await servers.postgres.createDatabase(`cluster_${id}`),
    INFLUX_URL: servers.influxd.url,
    INFLUX_DB: `cluster_${id}`,
    INGEST_FLUSH_MS: '5'
  }
  const processes: ClusterProcess[] = []
  return {
    env,
    processes,
    async start (name, role, extra = {}) {
      const [httpPort, mqttPort] = [await freePort(), await freePort()]
      const dataDir = mkdtempSync(join(tmpdir(), `sensorstad-${name}-`))
      const proc = await startPlatformProcess({
        dataDir,
        httpPort,
        mqttPort,
        adminToken: ADMIN_TOKEN,
        env: { ...env, ROLE: role, INSTANCE_ID: name, ...extra }
      }, 40_000).catch((err: unknown) => {
        rmSync(dataDir, { recursive: true, force: true })
        throw err
      })
      const started: ClusterProcess = Object.assign(proc, { name, httpPort, mqttPort, dataDir, url: `http://127.0.0.1:${httpPort}` })
      processes.push(started)
      return started
    },
    async destroy () {
      await Promise.all(processes.map((p) => stopPlatformProcess(p, 'SIGKILL')))
      for (const p of processes) rmSync(p.dataDir, { recursive: true, force: true })
      await redis.destroy()
    }
  }
}

/** The value of a Prometheus sample on a process's /metrics, 0 when absent. */
export async function metric (p: ClusterProcess, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(`${p.url}/metrics`)).text()
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`)
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue
    const match = /^([a-z_]+)(\{[^}]*\})? (\S+)$/.exec(line)
    if (match === null || match[1] !== name) continue
    if (wanted.every((w) => (match[2] ?? '').includes(w))) return Number(match[3])
  }
  return 0
}

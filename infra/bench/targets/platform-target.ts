import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { BENCH_SECRET, copyRegister } from '../provision.js'
import { countDuckDb, countInflux, type StoredCount } from '../stored-count.js'
import { errorLine, spawnUntil, stopChild, type RunningTarget } from './target.js'

/**
 * The platform (`main.ts`) in a child process, as `npm start` runs it, on a fresh DATA_DIR
 * holding the bench register, with the limits a flood would trip switched off: the per-kind
 * publish rate limit and the failed-login throttle (core/config.ts).
 */
const REPO = fileURLToPath(new URL('../../../', import.meta.url))
const READY = /API\s+http:\/\/localhost:(\d+)\/v1\/sensors[\s\S]*MQTT\s+mqtt:\/\/localhost:(\d+)[\s\S]*Stop with Ctrl-C/
/** Kinds whose readings land in the time-series store; snuffelfiets fixes go to the ride stage. */
export const STORED_KINDS = ['wastebin', 'crowd'] as const

export interface PlatformTargetOptions {
  registerPath: string
  /** Parent folder of this run's DATA_DIR. */
  workDir: string
  influx?: { url: string, db: string }
  /** Write a V8 CPU profile of the platform into this folder (node --cpu-prof). */
  cpuProfileDir?: string
}

export async function startPlatform (options: PlatformTargetOptions): Promise<RunningTarget> {
  const dataDir = mkdtempSync(join(options.workDir, 'platform-'))
  copyRegister(options.registerPath, dataDir)
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HTTP_HOST: '127.0.0.1',
    HTTP_PORT: '0',
    MQTT_HOST: '127.0.0.1',
    MQTT_PORT: '0',
    MQTT_WS_PORT: '0',
    DATA_DIR: dataDir,
    ADMIN_TOKEN: 'bench-admin-token-not-for-production',
    LOG_LEVEL: 'warn',
    // The bench floods on purpose, far past each kind's rateLimit.
    MQTT_PUBLISH_RATE_LIMIT: 'false',
    // 10,000 sensors connect from one address within seconds.
    MQTT_AUTH_FAILURES_PER_MIN: '1000000',
    ...(options.influx === undefined ? {} : { INFLUX_URL: options.influx.url, INFLUX_DB: options.influx.db })
  }
  const profiling = options.cpuProfileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`]
  const handle = await spawnUntil(process.execPath, [...profiling, '--import', 'tsx', 'main.ts'], { env, cwd: REPO }, READY)
  const httpPort = Number(handle.match[1])
  let finished = false
  const alive = (): boolean => handle.child.exitCode === null && handle.child.signalCode === null
  return {
    name: options.influx === undefined ? 'platform' : 'platform-influx',
    port: Number(handle.match[2]),
    pid: handle.child.pid!,
    password: BENCH_SECRET,
    subscriber: { clientId: 'open-bench-subscriber', filter: 'open/v1/#' },
    alive,
    rejected: async () => rejectedByCode(await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text()),
    async finish () {
      const crashed = !finished && !alive()
      finished = true
      const notes: string[] = []
      let rejected: Record<string, number> | undefined
      if (!crashed) {
        try {
          rejected = rejectedByCode(await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text())
        } catch (err) {
          notes.push(`metrics: ${(err as Error).message}`)
        }
      }
      const exit = await stopChild(handle)
      const error = crashed || exit !== 'code 0' ? errorLine(handle.output()) : undefined
      if (crashed || exit !== 'code 0') notes.push(`platform output: ${handle.output().slice(-1500)}`)
      let stored: StoredCount | undefined
      try {
        stored = options.influx === undefined
          ? await countDuckDb(join(dataDir, 'timeseries.duckdb'))
          : await countInflux(options.influx.url, options.influx.db, STORED_KINDS)
      } catch (err) {
        notes.push(`stored count: ${(err as Error).message}`)
      }
      // CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile: thread 0 is the main thread; the
      // others are tsx's module loader.
      const profile = options.cpuProfileDir === undefined
        ? undefined
        : readdirSync(options.cpuProfileDir).filter((f) => f.endsWith('.cpuprofile') && f.includes(`.${handle.child.pid}.0.`)).map((f) => join(options.cpuProfileDir!, f)).at(0)
      rmSync(dataDir, { recursive: true, force: true })
      return { crashed, exit, ...(error === undefined ? {} : { error }), rejected, stored: stored?.byKind, storedKeys: stored?.keys, profile, notes }
    }
  }
}

/** Sums `sensorstad_messages_rejected_total` of the Prometheus text by its `code` label. */
export function rejectedByCode (metrics: string): Record<string, number> {
  const byCode: Record<string, number> = {}
  for (const line of metrics.split('\n')) {
    if (!line.startsWith('sensorstad_messages_rejected_total{')) continue
    const code = /code="([^"]*)"/.exec(line)?.[1] ?? '?'
    byCode[code] = (byCode[code] ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1))
  }
  return byCode
}

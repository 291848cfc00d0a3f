import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from './free-port.js'

/**
 * A real InfluxDB 1.x server for tests: Debian's `influxd` (package `influxdb`, which
 * `.ci/run` installs) with its own config, on free loopback ports and a temporary data
 * folder, stopped and removed afterwards. It can be stopped and started again on the same
 * data, for outage tests.
 */
export const INFLUXD = process.env.INFLUXD_BIN ?? 'influxd'

/** True when `influxd` runs here. CI must have it: suites fail there instead of skipping. */
export const hasInfluxd = spawnSync(INFLUXD, ['version']).error === undefined

export function requireInfluxdInCi (): void {
  if (!hasInfluxd && process.env.CI !== undefined) {
    throw new Error(`CI needs ${INFLUXD} (Debian package influxdb); .ci/run installs it`)
  }
}

export interface Influxd {
  url: string
  port: number
  /** Stops the server; its data stays for start(). */
  stop (): Promise<void>
  /** Starts it again on the same port and data. */
  start (): Promise<void>
  /** Stops it and removes its data. */
  destroy (): Promise<void>
}

export async function startInfluxd (): Promise<Influxd> {
  const dir = mkdtempSync(join(tmpdir(), 'sensorstad-influxd-'))
  const [port, rpcPort] = [await freePort(), await freePort()]
  const config = join(dir, 'influxdb.conf')
  writeFileSync(config, [
    'reporting-disabled = true',
    `bind-address = "127.0.0.1:${rpcPort}"`,
    '[meta]',
    `  dir = "${join(dir, 'meta')}"`,
    '[data]',
    `  dir = "${join(dir, 'data')}"`,
    `  wal-dir = "${join(dir, 'wal')}"`,
    '  query-log-enabled = false',
    '  wal-fsync-delay = "0s"',
    '[http]',
    `  bind-address = "127.0.0.1:${port}"`,
    '  log-enabled = false',
    '[logging]',
    '  level = "error"',
    '[monitor]',
    '  store-enabled = false',
    '[continuous_queries]',
    '  enabled = false',
    ''
  ].join('\n'))
  const url = `http://127.0.0.1:${port}`
  let child: ChildProcess | undefined

  const start = async (): Promise<void> => {
    const proc = spawn(INFLUXD, ['-config', config], { stdio: ['ignore', 'ignore', 'pipe'] })
    child = proc
    let stderr = ''
    proc.stderr!.on('data', (chunk: Buffer) => { stderr = (stderr + chunk.toString()).slice(-4_000) })
    const deadline = Date.now() + 20_000
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`influxd exited with ${proc.exitCode}: ${stderr}`)
      try {
        const res = await fetch(`${url}/ping`)
        if (res.status === 204) return
      } catch {}
      if (Date.now() > deadline) throw new Error(`influxd did not answer /ping within 20 s: ${stderr}`)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }

  const stop = async (): Promise<void> => {
    const proc = child
    child = undefined
    if (proc === undefined || proc.exitCode !== null) return
    const exited = new Promise((resolve) => proc.once('exit', resolve))
    proc.kill('SIGTERM')
    const timer = setTimeout(() => proc.kill('SIGKILL'), 5_000)
    await exited
    clearTimeout(timer)
  }

  await start()
  return {
    url,
    port,
    stop,
    start,
    async destroy () {
      await stop()
      rmSync(dir, { recursive: true, force: true })
    }
  }
}

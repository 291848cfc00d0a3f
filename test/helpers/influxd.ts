import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from './free-port.js'
import { startServerProcess, type ServerProcess } from './server-process.js'

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
  let server: ServerProcess | undefined

  const start = async (): Promise<void> => {
    server = await startServerProcess('influxd', INFLUXD, ['-config', config], async () => {
      try {
        return (await fetch(`${url}/ping`)).status === 204
      } catch {
        return false
      }
    })
  }

  const stop = async (): Promise<void> => {
    await server?.stop()
    server = undefined
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

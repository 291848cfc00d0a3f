import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createConnection } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from './free-port.js'
import { startServerProcess, type ServerProcess } from './server-process.js'

/**
 * A real Redis server for tests: Debian's `redis-server` (which `.ci/run` installs) on a free
 * loopback port, no persistence, in a temporary folder, stopped and removed afterwards.
 */
export const REDIS_SERVER = process.env.REDIS_SERVER_BIN ?? 'redis-server'
export const hasRedis = spawnSync(REDIS_SERVER, ['--version']).error === undefined

export function requireRedisInCi (): void {
  if (!hasRedis && process.env.CI !== undefined) {
    throw new Error(`CI needs ${REDIS_SERVER} (Debian package redis-server); .ci/run installs it`)
  }
}

export interface Redis {
  url: string
  port: number
  stop (): Promise<void>
  start (): Promise<void>
  destroy (): Promise<void>
}

export async function startRedis (): Promise<Redis> {
  const dir = mkdtempSync(join(tmpdir(), 'sensorstad-redis-'))
  const port = await freePort()
  let server: ServerProcess | undefined

  const start = async (): Promise<void> => {
    server = await startServerProcess('redis-server', REDIS_SERVER, [
      '--port', String(port), '--bind', '127.0.0.1', '--dir', dir,
      '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--loglevel', 'warning'
    ], () => ping(port), { timeoutMs: 10_000 })
  }

  const stop = async (): Promise<void> => {
    await server?.stop()
    server = undefined
  }

  await start()
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop,
    start,
    async destroy () {
      await stop()
      rmSync(dir, { recursive: true, force: true })
    }
  }
}

function ping (port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port })
    socket.setTimeout(500)
    socket.once('connect', () => socket.write('PING\r\n'))
    socket.once('data', (data) => { socket.destroy(); resolve(data.toString().startsWith('+PONG')) })
    socket.once('error', () => resolve(false))
    socket.once('timeout', () => { socket.destroy(); resolve(false) })
  })
}

import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { freePort } from './free-port.js'

/**
 * A real PostgreSQL server for tests: Debian's `postgresql` binaries (which `.ci/run`
 * installs) with a fresh cluster made by `initdb` in a temporary folder, on a free loopback
 * port, trust authentication for its one user, stopped and removed afterwards. PostgreSQL
 * refuses to run as root, so under root (CI) the cluster belongs to the `postgres` user the
 * package creates.
 */
function findBin (): string | undefined {
  if (process.env.PG_BIN !== undefined) return process.env.PG_BIN
  const root = '/usr/lib/postgresql'
  if (!existsSync(root)) return undefined
  const versions = readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'postgres'))).sort((a, b) => Number(b) - Number(a))
  return versions[0] === undefined ? undefined : join(root, versions[0], 'bin')
}

export const PG_BIN = findBin()
export const hasPostgres = PG_BIN !== undefined

export function requirePostgresInCi (): void {
  if (!hasPostgres && process.env.CI !== undefined) {
    throw new Error('CI needs PostgreSQL (Debian package postgresql); .ci/run installs it')
  }
}

export interface Postgres {
  /** postgres://sensorstad@127.0.0.1:port/<database> of a database made for the caller. */
  createDatabase (name?: string): Promise<string>
  port: number
  stop (): Promise<void>
  start (): Promise<void>
  destroy (): Promise<void>
}

let databases = 0

export async function startPostgres (): Promise<Postgres> {
  if (PG_BIN === undefined) throw new Error('PostgreSQL is not installed (apt-get install postgresql)')
  const bin = PG_BIN
  const dir = mkdtempSync(join(tmpdir(), 'sensorstad-pg-'))
  chmodSync(dir, 0o755)
  const data = join(dir, 'data')
  const asUser = userInfo().uid === 0 ? lookupUser('postgres') : undefined
  if (asUser !== undefined) chownSync(dir, asUser.uid, asUser.gid)
  const run = (cmd: string, args: string[]): void => {
    const result = spawnSync(join(bin, cmd), args, { encoding: 'utf8', ...asUser })
    if (result.status !== 0) throw new Error(`${cmd} failed: ${result.stderr || String(result.error)}`)
  }
  run('initdb', ['-D', data, '-U', 'sensorstad', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C'])
  const port = await freePort()
  let child: ChildProcess | undefined

  const start = async (): Promise<void> => {
    const proc = spawn(join(bin, 'postgres'), [
      '-D', data, '-p', String(port), '-h', '127.0.0.1', '-k', dir,
      '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=200'
    ], { stdio: ['ignore', 'ignore', 'pipe'], ...asUser })
    child = proc
    let stderr = ''
    proc.stderr!.on('data', (chunk: Buffer) => { stderr = (stderr + chunk.toString()).slice(-4_000) })
    const deadline = Date.now() + 20_000
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`postgres exited with ${proc.exitCode}: ${stderr}`)
      const client = new pg.Client({ host: '127.0.0.1', port, user: 'sensorstad', database: 'postgres' })
      try {
        await client.connect()
        await client.end()
        return
      } catch {
        await client.end().catch(() => {})
      }
      if (Date.now() > deadline) throw new Error(`postgres did not accept connections within 20 s: ${stderr}`)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }

  const stop = async (): Promise<void> => {
    const proc = child
    child = undefined
    if (proc === undefined || proc.exitCode !== null) return
    const exited = new Promise((resolve) => proc.once('exit', resolve))
    proc.kill('SIGINT') // fast shutdown: disconnects clients, no waiting for them
    const timer = setTimeout(() => proc.kill('SIGKILL'), 5_000)
    await exited
    clearTimeout(timer)
  }

  await start()
  return {
    port,
    async createDatabase (name = `t${process.pid}_${++databases}`) {
      const client = new pg.Client({ host: '127.0.0.1', port, user: 'sensorstad', database: 'postgres' })
      await client.connect()
      try { await client.query(`CREATE DATABASE "${name}"`) } finally { await client.end() }
      return `postgres://sensorstad@127.0.0.1:${port}/${name}`
    },
    stop,
    start,
    async destroy () {
      await stop()
      rmSync(dir, { recursive: true, force: true })
    }
  }
}

function lookupUser (name: string): { uid: number, gid: number } {
  const result = spawnSync('id', ['-u', name], { encoding: 'utf8' })
  const gid = spawnSync('id', ['-g', name], { encoding: 'utf8' })
  if (result.status !== 0) throw new Error(`running as root, and there is no "${name}" user to run PostgreSQL as`)
  return { uid: Number(result.stdout.trim()), gid: Number(gid.stdout.trim()) }
}

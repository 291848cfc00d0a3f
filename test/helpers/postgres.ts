import { spawnSync } from 'node:child_process'
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { afterAll, beforeAll } from 'vitest'
import { freePort } from './free-port.js'
import { startServerProcess, type ServerProcess } from './server-process.js'

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
  let server: ServerProcess | undefined

  const start = async (): Promise<void> => {
    server = await startServerProcess('postgres', join(bin, 'postgres'), [
      '-D', data, '-p', String(port), '-h', '127.0.0.1', '-k', dir,
      '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=200'
    ], async () => {
      const client = new pg.Client({ host: '127.0.0.1', port, user: 'sensorstad', database: 'postgres' })
      try {
        await client.connect()
        return true
      } catch {
        return false
      } finally {
        await client.end().catch(() => {})
      }
    // SIGINT is PostgreSQL's fast shutdown: it disconnects clients instead of waiting for them.
    }, { signal: 'SIGINT', spawn: { ...asUser } })
  }

  const stop = async (): Promise<void> => {
    await server?.stop()
    server = undefined
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

/** Runs one statement on a connection of its own, as an operator with psql would. */
export async function psql<R extends pg.QueryResultRow = Record<string, unknown>> (url: string, text: string, params: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return (await client.query<R>(text, params)).rows
  } finally {
    await client.end()
  }
}

/**
 * One server for the calling describe block: started before its tests, stopped and removed
 * after them. `createDatabase` gives each store a database of its own, so tests share nothing.
 */
export function postgresForSuite (): { server: () => Postgres, createDatabase: (name?: string) => Promise<string> } {
  let started: Postgres | undefined
  beforeAll(async () => { started = await startPostgres() }, 60_000)
  afterAll(async () => { await started?.destroy() })
  const server = (): Postgres => {
    if (started === undefined) throw new Error('PostgreSQL did not start')
    return started
  }
  return { server, createDatabase: (name) => server().createDatabase(name) }
}

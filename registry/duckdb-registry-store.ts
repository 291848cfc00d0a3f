import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api'
import { SensorstadError } from '../core/errors.js'
import type { RegistryRows, RegistrySnapshot, RegistryStore, RegistryTable } from '../core/ports/registry-store.js'
import type { ApiToken, Sensor, SensorCredential, Zone } from '../core/sensor.js'

/**
 * The register persisted in its own DuckDB file (`${DATA_DIR}/registry.duckdb`). Each entry is
 * one row of validated JSON keyed by id: the register holds thousands of rows, is read whole
 * at start and written one entry at a time, so columns would buy nothing but migrations.
 */
const TABLES: readonly RegistryTable[] = ['sensors', 'zones', 'credentials', 'tokens']

/*
 * How DuckDB fails on a full or failing disk, as store/duckdb-database.ts sets out (measured
 * there): a WAL append that fails leaves the instance usable, but a checkpoint that fails (at
 * the COMMIT that takes the WAL past 16 MiB) is FATAL and invalidates the instance for good.
 * A new instance on the file replays the WAL, so the store opens the file again at the next
 * call instead of refusing every register change until the platform restarts.
 */
const INVALIDATED = /database has been invalidated|\b(FATAL|INTERNAL) Error\b/
const FILE_TROUBLE = /No space left on device|Could not (write|read|open|truncate|sync)|IO Error/

interface Handle {
  instance: DuckDBInstance
  connection: DuckDBConnection
}

export class DuckDbRegistryStore implements RegistryStore {
  readonly #path: string
  /** Undefined after DuckDB invalidated the instance: the next call opens the file again. */
  #handle: Handle | undefined
  #queue: Promise<unknown> = Promise.resolve()
  #closed = false

  private constructor (path: string, handle: Handle) {
    this.#path = path
    this.#handle = handle
  }

  static async open (path: string): Promise<DuckDbRegistryStore> {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true })
    return new DuckDbRegistryStore(path, await connect(path))
  }

  load (): Promise<RegistrySnapshot> {
    return this.#run(async (conn) => {
      const read = async <T>(table: RegistryTable): Promise<T[]> => {
        const reader = await conn.runAndReadAll(`SELECT doc FROM ${table} ORDER BY id`)
        return reader.getRowObjects().map((row) => JSON.parse(String(row.doc)) as T)
      }
      return {
        sensors: await read<Sensor>('sensors'),
        zones: await read<Zone>('zones'),
        credentials: await read<SensorCredential>('credentials'),
        tokens: await read<ApiToken>('tokens')
      }
    })
  }

  putSensor (sensor: Sensor): Promise<void> { return this.#put('sensors', sensor.id, sensor) }
  putCredential (credential: SensorCredential): Promise<void> { return this.#put('credentials', credential.sensorId, credential) }
  putZone (zone: Zone): Promise<void> { return this.#put('zones', zone.id, zone) }
  putToken (token: ApiToken): Promise<void> { return this.#put('tokens', token.id, token) }

  get<T extends RegistryTable> (table: T, id: string): Promise<RegistryRows[T] | undefined> {
    return this.#run(async (conn) => {
      const reader = await conn.runAndReadAll(`SELECT doc FROM ${table} WHERE id = $1`, [id])
      const row = reader.getRowObjects()[0]
      return row === undefined ? undefined : JSON.parse(String(row.doc)) as RegistryRows[T]
    })
  }

  async close (): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.#queue
    release(this.#handle)
    this.#handle = undefined
  }

  #put (table: RegistryTable, id: string, doc: unknown): Promise<void> {
    return this.#run(async (conn) => {
      await conn.run(`INSERT OR REPLACE INTO ${table} (id, doc) VALUES ($1, $2)`, [id, JSON.stringify(doc)])
    })
  }

  /**
   * One call at a time, since a DuckDB connection is not safe for interleaved statements. A
   * failing file rejects with STORE_ERR_UNAVAILABLE (a 503 for the admin, who may try again).
   */
  #run<T> (fn: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(new SensorstadError('STORE_ERR_UNAVAILABLE', 'The register is closed'))
    const next = this.#queue.then(async () => {
      try {
        this.#handle ??= await connect(this.#path)
        return await fn(this.#handle.connection)
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err)
        if (INVALIDATED.test(message)) {
          release(this.#handle)
          this.#handle = undefined
        }
        if (!INVALIDATED.test(message) && !FILE_TROUBLE.test(message)) throw err
        // One line: after an invalidation DuckDB names the original error on a line of its own.
        throw new SensorstadError('STORE_ERR_UNAVAILABLE', `The register cannot use its file: ${message.replace(/\s*\n\s*/g, ' ')}`)
      }
    })
    this.#queue = next.catch(() => {})
    return next
  }
}

async function connect (path: string): Promise<Handle> {
  const instance = await DuckDBInstance.create(path)
  try {
    const connection = await instance.connect()
    for (const table of TABLES) {
      await connection.run(`CREATE TABLE IF NOT EXISTS ${table} (id VARCHAR PRIMARY KEY, doc VARCHAR NOT NULL)`)
    }
    return { instance, connection }
  } catch (err) {
    instance.closeSync()
    throw err
  }
}

function release (handle: Handle | undefined): void {
  handle?.connection.closeSync()
  handle?.instance.closeSync()
}

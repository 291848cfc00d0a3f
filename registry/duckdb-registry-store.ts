import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api'
import type { RegistryRows, RegistrySnapshot, RegistryStore, RegistryTable } from '../core/ports/registry-store.js'
import type { ApiToken, Sensor, SensorCredential, Zone } from '../core/sensor.js'

/**
 * The register persisted in its own DuckDB file (`${DATA_DIR}/registry.duckdb`). Each entry is
 * one row of validated JSON keyed by id: the register holds thousands of rows, is read whole
 * at start and written one entry at a time, so columns would buy nothing but migrations.
 */
const TABLES: readonly RegistryTable[] = ['sensors', 'zones', 'credentials', 'tokens']

export class DuckDbRegistryStore implements RegistryStore {
  readonly #instance: DuckDBInstance
  readonly #connection: DuckDBConnection
  #queue: Promise<unknown> = Promise.resolve()

  private constructor (instance: DuckDBInstance, connection: DuckDBConnection) {
    this.#instance = instance
    this.#connection = connection
  }

  static async open (path: string): Promise<DuckDbRegistryStore> {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true })
    const instance = await DuckDBInstance.create(path)
    const connection = await instance.connect()
    for (const table of TABLES) {
      await connection.run(`CREATE TABLE IF NOT EXISTS ${table} (id VARCHAR PRIMARY KEY, doc VARCHAR NOT NULL)`)
    }
    return new DuckDbRegistryStore(instance, connection)
  }

  async load (): Promise<RegistrySnapshot> {
    const read = async <T>(table: RegistryTable): Promise<T[]> => {
      const reader = await this.#connection.runAndReadAll(`SELECT doc FROM ${table} ORDER BY id`)
      return reader.getRowObjects().map((row) => JSON.parse(String(row.doc)) as T)
    }
    return {
      sensors: await read<Sensor>('sensors'),
      zones: await read<Zone>('zones'),
      credentials: await read<SensorCredential>('credentials'),
      tokens: await read<ApiToken>('tokens')
    }
  }

  putSensor (sensor: Sensor): Promise<void> { return this.#put('sensors', sensor.id, sensor) }
  putCredential (credential: SensorCredential): Promise<void> { return this.#put('credentials', credential.sensorId, credential) }
  putZone (zone: Zone): Promise<void> { return this.#put('zones', zone.id, zone) }
  putToken (token: ApiToken): Promise<void> { return this.#put('tokens', token.id, token) }

  /** Queued with the writes: one statement at a time on the connection. */
  get<T extends RegistryTable> (table: T, id: string): Promise<RegistryRows[T] | undefined> {
    const next = this.#queue.then(async () => {
      const reader = await this.#connection.runAndReadAll(`SELECT doc FROM ${table} WHERE id = $1`, [id])
      const row = reader.getRowObjects()[0]
      return row === undefined ? undefined : JSON.parse(String(row.doc)) as RegistryRows[T]
    })
    this.#queue = next.catch(() => {})
    return next
  }

  async close (): Promise<void> {
    await this.#queue.catch(() => {})
    this.#connection.closeSync()
    this.#instance.closeSync()
  }

  /** One statement at a time: a DuckDB connection is not safe for interleaved statements. */
  #put (table: RegistryTable, id: string, doc: unknown): Promise<void> {
    const next = this.#queue.then(async () => {
      await this.#connection.run(`INSERT OR REPLACE INTO ${table} (id, doc) VALUES ($1, $2)`, [id, JSON.stringify(doc)])
    })
    this.#queue = next.catch(() => {})
    return next
  }
}

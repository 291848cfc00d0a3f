import type { RegistryRows, RegistrySnapshot, RegistryStore, RegistryTable } from '../core/ports/registry-store.js'
import type { ApiToken, Sensor, SensorCredential, Zone } from '../core/sensor.js'
import { DuckDbDatabase } from '../db/duckdb-database.js'

/**
 * The register persisted in its own DuckDB file (`${DATA_DIR}/registry.duckdb`). Each entry is
 * one row of validated JSON keyed by id: the register holds thousands of rows, is read whole
 * at start and written one entry at a time, so columns would buy nothing but migrations.
 *
 * The file is a DuckDbDatabase, as the stores' files are: writes one at a time, and a file
 * that fails (a full disk) rejects with STORE_ERR_UNAVAILABLE, a 503 the admin may retry, and
 * is opened again by itself after DuckDB gave up on it.
 */
const TABLES: readonly RegistryTable[] = ['sensors', 'zones', 'credentials', 'tokens']

export class DuckDbRegistryStore implements RegistryStore {
  readonly #db: DuckDbDatabase

  private constructor (db: DuckDbDatabase) {
    this.#db = db
  }

  static async open (path: string): Promise<DuckDbRegistryStore> {
    return new DuckDbRegistryStore(await DuckDbDatabase.open(path, {
      name: 'register',
      schema: TABLES.map((table) => `CREATE TABLE IF NOT EXISTS ${table} (id VARCHAR PRIMARY KEY, doc VARCHAR NOT NULL)`)
    }))
  }

  load (): Promise<RegistrySnapshot> {
    return this.#db.read(async (conn) => {
      // One read-only transaction, so the four lists come from one snapshot of the file.
      await conn.run('BEGIN TRANSACTION')
      try {
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
      } finally {
        await conn.run('ROLLBACK')
      }
    })
  }

  putSensor (sensor: Sensor): Promise<void> { return this.#put('sensors', sensor.id, sensor) }
  putCredential (credential: SensorCredential): Promise<void> { return this.#put('credentials', credential.sensorId, credential) }
  putZone (zone: Zone): Promise<void> { return this.#put('zones', zone.id, zone) }
  putToken (token: ApiToken): Promise<void> { return this.#put('tokens', token.id, token) }

  get<T extends RegistryTable> (table: T, id: string): Promise<RegistryRows[T] | undefined> {
    return this.#db.read(async (conn) => {
      const reader = await conn.runAndReadAll(`SELECT doc FROM ${table} WHERE id = $1`, [id])
      const row = reader.getRowObjects()[0]
      return row === undefined ? undefined : JSON.parse(String(row.doc)) as RegistryRows[T]
    })
  }

  close (): Promise<void> {
    return this.#db.close()
  }

  #put (table: RegistryTable, id: string, doc: unknown): Promise<void> {
    return this.#db.write(async (conn) => {
      await conn.run(`INSERT OR REPLACE INTO ${table} (id, doc) VALUES ($1, $2)`, [id, JSON.stringify(doc)])
    })
  }
}

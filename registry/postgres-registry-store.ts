import pg from 'pg'
import type { RegistryChange, RegistryRows, RegistrySnapshot, RegistryStore, RegistryTable } from '../core/ports/registry-store.js'
import type { ApiToken, Sensor, SensorCredential, Zone } from '../core/sensor.js'
import { postgresFailure } from '../db/postgres-database.js'
import { PostgresChangeListener } from './postgres-change-listener.js'
import { migrate, REGISTRY_SCHEMA } from './postgres-migrations.js'

/**
 * The register in PostgreSQL (`DATABASE_URL`), shared by every process of a deployment.
 * Tables, rows and migrations are in postgres-migrations.ts; the migrations run on open.
 * Every committed change NOTIFYs (a trigger, in the writing transaction), and `watch` hears
 * them on a connection of its own, so each process can keep its in-memory register current.
 */
export interface PostgresRegistryStoreOptions {
  /** Pooled connections for reads and writes; the register is written a few times a day. */
  poolSize?: number
  /** Connection trouble the store recovers from by itself: a lost idle connection, a listener reconnecting. */
  onError?: (err: Error) => void
  /** The change listener's reconnect delays, ms: the first, doubled per failure up to the last. */
  reconnectMinMs?: number
  reconnectMaxMs?: number
  /** How often the change listener checks its connection, ms. */
  heartbeatMs?: number
}

const TABLES: ReadonlySet<string> = new Set<RegistryTable>(['sensors', 'zones', 'credentials', 'tokens'])

export class PostgresRegistryStore implements RegistryStore {
  readonly #pool: pg.Pool
  readonly #listener: PostgresChangeListener
  /** The last write issued per entry: writes to one entry run in the order issued, others in parallel. */
  readonly #writes = new Map<string, Promise<void>>()

  private constructor (pool: pg.Pool, listener: PostgresChangeListener) {
    this.#pool = pool
    this.#listener = listener
  }

  static async open (connectionString: string, options: PostgresRegistryStoreOptions = {}): Promise<PostgresRegistryStore> {
    const onError = options.onError ?? (() => {})
    const pool = new pg.Pool({
      connectionString,
      max: options.poolSize ?? 4,
      fallback_application_name: 'sensorstad-registry',
      // TCP keepalive, so a connection to a server that vanished without a reset errors out.
      keepAlive: true,
      connectionTimeoutMillis: 10_000
    })
    // An idle connection the server closed (a restart, a failover) is dropped from the pool and
    // reported here; without a handler the 'error' event would end the process.
    pool.on('error', onError)
    try {
      await migrate(pool)
    } catch (err) {
      await pool.end()
      throw err
    }
    const listener = new PostgresChangeListener({
      connectionString,
      onError,
      reconnectMinMs: options.reconnectMinMs ?? 100,
      reconnectMaxMs: options.reconnectMaxMs ?? 2_000,
      heartbeatMs: options.heartbeatMs ?? 10_000
    })
    return new PostgresRegistryStore(pool, listener)
  }

  /** One statement, so the four lists come from one snapshot of the database. */
  async load (): Promise<RegistrySnapshot> {
    const { rows } = await this.#query<{ t: RegistryTable, doc: unknown }>(
      [...TABLES].map((table) => `SELECT '${table}' AS t, id, doc FROM ${REGISTRY_SCHEMA}.${table}`).join(' UNION ALL ') + ' ORDER BY t, id'
    )
    const snapshot: RegistrySnapshot = { sensors: [], zones: [], credentials: [], tokens: [] }
    for (const row of rows) (snapshot[row.t] as unknown[]).push(row.doc)
    return snapshot
  }

  putSensor (sensor: Sensor): Promise<void> { return this.#put('sensors', sensor.id, sensor) }
  putCredential (credential: SensorCredential): Promise<void> { return this.#put('credentials', credential.sensorId, credential) }
  putZone (zone: Zone): Promise<void> { return this.#put('zones', zone.id, zone) }
  putToken (token: ApiToken): Promise<void> { return this.#put('tokens', token.id, token) }

  async get<T extends RegistryTable> (table: T, id: string): Promise<RegistryRows[T] | undefined> {
    const { rows } = await this.#query<{ doc: RegistryRows[T] }>(`SELECT doc FROM ${REGISTRY_SCHEMA}.${checked(table)} WHERE id = $1`, [id])
    return rows[0]?.doc
  }

  watch (listener: (change: RegistryChange) => void): () => void {
    return this.#listener.add(listener)
  }

  async close (): Promise<void> {
    this.#listener.stop()
    await Promise.allSettled(this.#writes.values())
    await this.#pool.end()
  }

  /** Errors in the stores' terms (db/postgres-database.ts): an outage is a 503 the admin may retry. */
  async #query<R extends pg.QueryResultRow> (text: string, params?: unknown[]): Promise<pg.QueryResult<R>> {
    try {
      return await this.#pool.query<R>(text, params)
    } catch (err) {
      throw postgresFailure('register', err)
    }
  }

  #put (table: RegistryTable, id: string, doc: unknown): Promise<void> {
    const key = `${table}/${id}`
    const json = JSON.stringify(doc)
    const previous = this.#writes.get(key) ?? Promise.resolve()
    const next = previous.catch(() => {}).then(async () => {
      await this.#query(
        `INSERT INTO ${REGISTRY_SCHEMA}.${checked(table)} (id, doc) VALUES ($1, $2)
         ON CONFLICT (id) DO UPDATE SET doc = EXCLUDED.doc, updated_at = now()`,
        [id, json]
      )
    })
    this.#writes.set(key, next)
    const forget = (): void => { if (this.#writes.get(key) === next) this.#writes.delete(key) }
    next.then(forget, forget)
    return next
  }
}

/** Table names go into SQL text, so only the four known ones pass, whatever a caller's types said. */
function checked (table: string): string {
  if (!TABLES.has(table)) throw new TypeError(`not a registry table: ${table}`)
  return table
}

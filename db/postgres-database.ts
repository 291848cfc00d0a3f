import pg from 'pg'
import { SensorstadError } from '../core/errors.js'
import { migrate, type Migration } from './postgres-migrations.js'

export type Row = Record<string, unknown>

export interface PostgresDatabaseOptions {
  /** What the errors call it, such as `alert store`: "The alert store is closed". */
  name: string
  /** Key of its migrations in `schema_migrations`, such as `alerts`. */
  component: string
  migrations: readonly Migration[]
  /** Connections at most; default 4 (writes take one at a time, reads the rest). */
  poolSize?: number
  /** How long to wait for a connection (ms); default 10,000. */
  connectTimeoutMs?: number
  /** Errors of idle connections (a restarted server); the next query opens a new one. */
  onError?: (err: Error) => void
}

/** Deadlock and serialization failure: PostgreSQL rolled the statement back, so it may run again. */
const RETRYABLE = new Set(['40P01', '40001'])
const MAX_ATTEMPTS = 3

/**
 * One PostgreSQL database as a store uses it: a small pool, the component's migrations run at
 * open, and errors in the store's terms.
 *
 * Writes run one at a time, in call order, so a later write from this process lands after an
 * earlier one (a replaced ride, a second acknowledgement); each write is one statement, and so
 * one transaction. Reads run alongside on the other connections. Once closed, every call
 * rejects with STORE_ERR_UNAVAILABLE; close waits for the reads and writes already started.
 *
 * Errors: a refused value (SQLSTATE class 22 or 23) is STORE_ERR_REJECTED, which ingest does
 * not retry; a lost or refused connection is STORE_ERR_UNAVAILABLE, which it does. Anything
 * else (a syntax error is a bug) passes unchanged.
 */
export class PostgresDatabase {
  readonly #name: string
  readonly #pool: pg.Pool
  #queue: Promise<unknown> = Promise.resolve()
  readonly #inFlight = new Set<Promise<unknown>>()
  #closed = false

  private constructor (name: string, pool: pg.Pool) {
    this.#name = name
    this.#pool = pool
  }

  /** Connects to `url` (a `postgres://` connection string) and brings the component's tables up to date. */
  static async open (url: string, options: PostgresDatabaseOptions): Promise<PostgresDatabase> {
    const pool = new pg.Pool({
      connectionString: url,
      max: options.poolSize ?? 4,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
      idleTimeoutMillis: 30_000,
      // TCP keepalive, so a connection to a server that vanished without a reset errors out
      // rather than holding the write queue for as long as the kernel keeps the socket.
      keepAlive: true,
      application_name: `sensorstad ${options.component}`
    })
    // Without a listener an idle connection's error (server restart) would end the process.
    pool.on('error', (err) => options.onError?.(err))
    const db = new PostgresDatabase(options.name, pool)
    try {
      const client = await pool.connect().catch((err: unknown) => { throw db.#translate(err) })
      try {
        await migrate(client, options.component, options.migrations)
        client.release()
      } catch (err) {
        client.release(true)
        throw err
      }
      return db
    } catch (err) {
      await pool.end()
      throw err
    }
  }

  /** Resolves at once while open, rejects with STORE_ERR_UNAVAILABLE once closed: the answer to an empty batch. */
  ensureOpen (): Promise<void> {
    return this.#closed ? this.#unavailable() : Promise.resolve()
  }

  /** Runs one statement after every write queued before it; retried if PostgreSQL rolled it back for a deadlock. */
  write (sql: string, params: readonly unknown[]): Promise<Row[]> {
    if (this.#closed) return this.#unavailable()
    const run = this.#queue.then(() => this.#run(sql, params, MAX_ATTEMPTS))
    this.#queue = run.catch(() => {})
    return this.#track(run)
  }

  /** Runs one statement on any free connection, alongside writes; it sees committed data only. */
  read (sql: string, params: readonly unknown[]): Promise<Row[]> {
    if (this.#closed) return this.#unavailable()
    return this.#track(this.#run(sql, params, 1))
  }

  async ping (): Promise<void> {
    await this.read('SELECT 1', [])
  }

  async close (): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await Promise.allSettled([...this.#inFlight])
    await this.#pool.end()
  }

  async #run (sql: string, params: readonly unknown[], attempts: number): Promise<Row[]> {
    for (let attempt = 1; ; attempt++) {
      try {
        return (await this.#pool.query(sql, params as unknown[])).rows as Row[]
      } catch (err) {
        if (attempt >= attempts || !RETRYABLE.has(sqlState(err) ?? '')) throw this.#translate(err)
        // A few ms apart, so the transaction that won the deadlock can commit first.
        await new Promise((resolve) => setTimeout(resolve, 5 * attempt))
      }
    }
  }

  #translate (err: unknown): unknown {
    return postgresFailure(this.#name, err)
  }

  #track<T> (op: Promise<T>): Promise<T> {
    this.#inFlight.add(op)
    const forget = (): void => { this.#inFlight.delete(op) }
    op.then(forget, forget)
    return op
  }

  #unavailable (): Promise<never> {
    return Promise.reject(new SensorstadError('STORE_ERR_UNAVAILABLE', `The ${this.#name} is closed`))
  }
}

/**
 * A driver error in a store's terms: a lost or refused connection (no SQLSTATE: the driver's
 * own network error or timeout; or class 08, 53, 57P0) is STORE_ERR_UNAVAILABLE, which callers
 * retry (a 503 at the API); a refused value (class 22 or 23) is STORE_ERR_REJECTED. Anything
 * else passes unchanged: a syntax error is a bug. `name` is what the message calls the store.
 */
export function postgresFailure (name: string, err: unknown): unknown {
  // A TypeError or RangeError is a value the driver could not send: a bug, not an outage.
  if (err instanceof SensorstadError || err instanceof TypeError || err instanceof RangeError) return err
  const state = sqlState(err)
  const message = err instanceof Error ? err.message : String(err)
  if (state === undefined || /^(08|53|57P0)/.test(state)) {
    return new SensorstadError('STORE_ERR_UNAVAILABLE', `The ${name} cannot reach PostgreSQL: ${message}`)
  }
  if (/^(22|23)/.test(state)) return new SensorstadError('STORE_ERR_REJECTED', `PostgreSQL refused a value for the ${name}: ${message}`)
  return err
}

/** The SQLSTATE of an error PostgreSQL sent; undefined for a network error or timeout of the driver. */
function sqlState (err: unknown): string | undefined {
  return err instanceof pg.DatabaseError ? err.code : undefined
}

import { mkdir } from 'node:fs/promises'
import { dirname } from 'node:path'
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api'
import { SensorstadError } from '../core/errors.js'

export interface DuckDbDatabaseOptions {
  /** What the errors call it, such as `time-series store`: "The time-series store is closed". */
  name: string
  /** Statements run once on the write connection at open, so TEMP tables exist there only. */
  schema: readonly string[]
}

/**
 * One DuckDB file as a store uses it.
 *
 * Writes run one at a time on one connection, because a transaction spans several statements
 * there. Reads each take a fresh connection, so they run alongside writes and see committed
 * data only. Once closed, every call rejects with STORE_ERR_UNAVAILABLE; close waits for the
 * reads and writes already started.
 */
export class DuckDbDatabase {
  readonly #name: string
  readonly #instance: DuckDBInstance
  readonly #writer: DuckDBConnection
  #queue: Promise<unknown> = Promise.resolve()
  readonly #inFlight = new Set<Promise<unknown>>()
  #closed = false

  private constructor (name: string, instance: DuckDBInstance, writer: DuckDBConnection) {
    this.#name = name
    this.#instance = instance
    this.#writer = writer
  }

  /** Opens (creating the file and its folder if needed) the database at `path`, or `:memory:`. */
  static async open (path: string, options: DuckDbDatabaseOptions): Promise<DuckDbDatabase> {
    if (path !== ':memory:') await mkdir(dirname(path), { recursive: true })
    const instance = await DuckDBInstance.create(path)
    try {
      const writer = await instance.connect()
      for (const sql of options.schema) await writer.run(sql)
      return new DuckDbDatabase(options.name, instance, writer)
    } catch (err) {
      instance.closeSync()
      throw err
    }
  }

  /** Resolves at once while open, rejects with STORE_ERR_UNAVAILABLE once closed: the answer to an empty batch. */
  ensureOpen (): Promise<void> {
    return this.#closed ? this.#unavailable() : Promise.resolve()
  }

  /** Runs `fn` on the write connection after every write queued before it. */
  write<T> (fn: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
    if (this.#closed) return this.#unavailable()
    const run = this.#queue.then(() => fn(this.#writer))
    this.#queue = run.catch(() => {})
    return this.#track(run)
  }

  /** Runs `fn` on a fresh connection, closed when `fn` settles. */
  read<T> (fn: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
    if (this.#closed) return this.#unavailable()
    return this.#track((async () => {
      const conn = await this.#instance.connect()
      try {
        return await fn(conn)
      } finally {
        conn.closeSync()
      }
    })())
  }

  async ping (): Promise<void> {
    try {
      await this.read((conn) => conn.run('SELECT 1'))
    } catch (err) {
      if (err instanceof SensorstadError) throw err
      throw new SensorstadError('STORE_ERR_UNAVAILABLE', `The ${this.#name} does not answer: ${(err as Error).message}`)
    }
  }

  async close (): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await Promise.allSettled([...this.#inFlight])
    this.#writer.closeSync()
    // Closing the last handle checkpoints the WAL into the database file.
    this.#instance.closeSync()
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

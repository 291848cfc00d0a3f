import { mkdir } from 'node:fs/promises'
import { dirname } from 'node:path'
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api'
import { SensorstadError } from '../core/errors.js'

export interface DuckDbDatabaseOptions {
  /** What the errors call it, such as `time-series store`: "The time-series store is closed". */
  name: string
  /** Statements run on the write connection at every open, so TEMP tables exist there only. */
  schema: readonly string[]
  /**
   * Runs on the write connection after the schema, at open and at every reopen, before any
   * write: where a store reads the counters it resumes from. They may have moved while the
   * instance failed: a write reported as failed can have reached the file after all.
   */
  resume?: (conn: DuckDBConnection) => Promise<void>
}

interface Handle {
  instance: DuckDBInstance
  writer: DuckDBConnection
}

/*
 * What DuckDB (1.5.6) does when its disk fills, measured on an 8 MiB tmpfs:
 * - A COMMIT whose WAL append hits ENOSPC fails ("Failed to commit: Could not write file
 *   ...wal: No space left on device"), is rolled back and cut from the WAL; the instance
 *   stays usable and the next write succeeds once space is back.
 * - A checkpoint that hits ENOSPC (at COMMIT once the WAL nears checkpoint_threshold, 16 MiB
 *   by default, or at CHECKPOINT) is FATAL: that COMMIT fails and the instance is invalidated,
 *   so every later call fails ("database has been invalidated"), even on a new connection and
 *   after space is freed. A new instance on the same file replays the WAL, and opening needs
 *   no free space: every committed transaction is there, whole. The one whose COMMIT failed
 *   is there whole or not at all (both seen): a rejected write may have been stored, which
 *   the retry of an idempotent write makes harmless, and which `resume` must allow for.
 * So a call after a fatal error reopens the file instead of failing for ever.
 */
const INVALIDATED = /database has been invalidated|\b(FATAL|INTERNAL) Error\b/
const FILE_TROUBLE = /No space left on device|Could not (write|read|open|truncate|sync)|IO Error/

/**
 * One DuckDB file as a store uses it.
 *
 * Writes run one at a time on one connection, because a transaction spans several statements
 * there. Reads each take a fresh connection, so they run alongside writes and see committed
 * data only. Once closed, every call rejects with STORE_ERR_UNAVAILABLE; close waits for the
 * reads and writes already started. A call that finds the file failing (disk full, I/O error,
 * an instance DuckDB invalidated) rejects with STORE_ERR_UNAVAILABLE too, which callers retry;
 * after an invalidation the next call reopens the file in the write queue.
 */
export class DuckDbDatabase {
  readonly #path: string
  readonly #options: DuckDbDatabaseOptions
  #handle: Handle | undefined
  /** Set by a FATAL error: the handle must be replaced before anything uses it again. */
  #invalidated = false
  #queue: Promise<unknown> = Promise.resolve()
  readonly #inFlight = new Set<Promise<unknown>>()
  /** Reads on the current handle, which a reopen lets finish before closing it. */
  readonly #reads = new Set<Promise<unknown>>()
  #closed = false

  private constructor (path: string, options: DuckDbDatabaseOptions) {
    this.#path = path
    this.#options = options
  }

  /**
   * Opens (creating the file and its folder if needed) the database at `path`, or `:memory:`.
   * On failure nothing stays open.
   */
  static async open (path: string, options: DuckDbDatabaseOptions): Promise<DuckDbDatabase> {
    if (path !== ':memory:') await mkdir(dirname(path), { recursive: true })
    const db = new DuckDbDatabase(path, options)
    db.#handle = await db.#connect()
    return db
  }

  /** Resolves at once while open, rejects with STORE_ERR_UNAVAILABLE once closed: the answer to an empty batch. */
  ensureOpen (): Promise<void> {
    return this.#closed ? this.#unavailable() : Promise.resolve()
  }

  /** Runs `fn` on the write connection after every write queued before it. */
  write<T> (fn: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
    if (this.#closed) return this.#unavailable()
    const run = this.#queue.then(async () => {
      const handle = this.#invalidated || this.#handle === undefined ? await this.#reopen() : this.#handle
      return await this.#watch(fn(handle.writer))
    })
    this.#queue = run.catch(() => {})
    return this.#track(run)
  }

  /** Runs `fn` on a fresh connection, closed when `fn` settles. */
  read<T> (fn: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
    if (this.#closed) return this.#unavailable()
    return this.#track((async () => {
      // A read never touches an invalidated instance: it waits for the reopen in the write queue.
      if (this.#invalidated || this.#handle === undefined) await this.write(async () => {})
      const handle = this.#handle
      if (this.#invalidated || handle === undefined) throw this.#failure(new Error('it failed again while reopening'))
      return await this.#watch(this.#track((async () => {
        const conn = await handle.instance.connect()
        try {
          return await fn(conn)
        } finally {
          conn.closeSync()
        }
      })(), this.#reads))
    })())
  }

  async ping (): Promise<void> {
    try {
      await this.read((conn) => conn.run('SELECT 1'))
    } catch (err) {
      if (err instanceof SensorstadError) throw err
      throw new SensorstadError('STORE_ERR_UNAVAILABLE', `The ${this.#options.name} does not answer: ${(err as Error).message}`)
    }
  }

  async close (): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await Promise.allSettled([...this.#inFlight])
    // Closing the last handle checkpoints the WAL into the database file (an invalidated
    // instance skips that; its WAL is replayed at the next open).
    this.#release()
  }

  async #connect (): Promise<Handle> {
    const instance = await DuckDBInstance.create(this.#path)
    let writer: DuckDBConnection | undefined
    try {
      writer = await instance.connect()
      for (const sql of this.#options.schema) await writer.run(sql)
      await this.#options.resume?.(writer)
      return { instance, writer }
    } catch (err) {
      writer?.closeSync()
      instance.closeSync()
      throw err
    }
  }

  /** In the write queue: closes the failed instance once its reads are done and opens the file again. */
  async #reopen (): Promise<Handle> {
    await Promise.allSettled([...this.#reads])
    this.#release()
    try {
      this.#handle = await this.#connect()
    } catch (err) {
      throw this.#failure(err)
    }
    this.#invalidated = false
    return this.#handle
  }

  #release (): void {
    const handle = this.#handle
    this.#handle = undefined
    handle?.writer.closeSync()
    handle?.instance.closeSync()
  }

  /** Notes an invalidated instance, and turns a failing file into STORE_ERR_UNAVAILABLE. */
  async #watch<T> (op: Promise<T>): Promise<T> {
    try {
      return await op
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err)
      if (INVALIDATED.test(message)) this.#invalidated = true
      if (err instanceof SensorstadError || !(INVALIDATED.test(message) || FILE_TROUBLE.test(message))) throw err
      throw this.#failure(err)
    }
  }

  #failure (err: unknown): SensorstadError {
    // One line: after an invalidation DuckDB names the original error on a line of its own.
    const message = (err instanceof Error ? err.message : String(err)).replace(/\s*\n\s*/g, ' ')
    return new SensorstadError('STORE_ERR_UNAVAILABLE', `The ${this.#options.name} cannot use its file: ${message}`)
  }

  #track<T> (op: Promise<T>, set = this.#inFlight): Promise<T> {
    set.add(op)
    const forget = (): void => { set.delete(op) }
    op.then(forget, forget)
    return op
  }

  #unavailable (): Promise<never> {
    return Promise.reject(new SensorstadError('STORE_ERR_UNAVAILABLE', `The ${this.#options.name} is closed`))
  }
}

import { mkdir } from 'node:fs/promises'
import { dirname } from 'node:path'
import {
  BIGINT, DuckDBConnection, DuckDBInstance, LIST, VARCHAR, listValue,
  type DuckDBAppender, type DuckDBType, type DuckDBValue
} from '@duckdb/node-api'
import { SensorstadError } from '../core/errors.js'
import type { CellAggregate, CellContribution, CellQuery, GridStore } from '../core/ports/grid-store.js'
import { DEFAULT_LIMIT } from './query-range.js'

/*
 * Layout. Times are BIGINT epoch ms (the start of a UTC hour).
 *
 * `contributions` holds one row per ride per cell-hour and field, far fewer than raw readings,
 * so unlike the time-series `readings` it can afford a primary key, and a redelivered ride is
 * an INSERT OR REPLACE of its own row. Its key includes the ride, so the rows of a cell-hour
 * are its distinct rides.
 *
 * `summaries` holds what compaction leaves of contributions: one row per cell-hour and field
 * with the numbers of distinct rides and devices, and no pseudonym.
 */
const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS contributions (
    kind VARCHAR NOT NULL, cell VARCHAR NOT NULL, start BIGINT NOT NULL, field VARCHAR NOT NULL,
    ride VARCHAR NOT NULL, device VARCHAR NOT NULL,
    count BIGINT NOT NULL, sum DOUBLE NOT NULL, min DOUBLE NOT NULL, max DOUBLE NOT NULL,
    PRIMARY KEY (kind, cell, start, field, ride))`,
  `CREATE TABLE IF NOT EXISTS summaries (
    kind VARCHAR NOT NULL, cell VARCHAR NOT NULL, start BIGINT NOT NULL, field VARCHAR NOT NULL,
    count BIGINT NOT NULL, sum DOUBLE NOT NULL, min DOUBLE NOT NULL, max DOUBLE NOT NULL,
    rides BIGINT NOT NULL, devices BIGINT NOT NULL,
    PRIMARY KEY (kind, cell, start, field))`,
  // TEMP tables live in memory and outside the WAL, on the write connection only.
  `CREATE TEMP TABLE staging_contributions (
    kind VARCHAR, cell VARCHAR, start BIGINT, field VARCHAR, ride VARCHAR, device VARCHAR,
    count BIGINT, sum DOUBLE, min DOUBLE, max DOUBLE, ord BIGINT)`
]

const COMMIT_CONTRIBUTIONS = [
  // One row per key from the batch, its last (ON CONFLICT may not touch a row twice in a
  // statement); it replaces the stored one, since this batch is the later write.
  `INSERT OR REPLACE INTO contributions (kind, cell, start, field, ride, device, count, sum, min, max)
    SELECT kind, cell, start, field, ride, device, count, sum, min, max FROM staging_contributions
    QUALIFY row_number() OVER (PARTITION BY kind, cell, start, field, ride ORDER BY ord DESC) = 1`,
  'DELETE FROM staging_contributions'
]

type Params = Record<string, DuckDBValue>
type Types = Record<string, DuckDBType>
type Row = Record<string, unknown>

/**
 * The grid store (mobile air quality, privacy rules 6 and 7) on DuckDB, in its own file.
 *
 * Durability: a write resolves after its transaction commits, and DuckDB fsyncs the WAL
 * before COMMIT returns (see DuckDbTimeSeriesStore), so a resolved write survives a crash.
 *
 * Writes (contributions, compaction) run one at a time on one connection, because a
 * transaction spans several statements there. Reads each take a fresh connection, so they
 * run alongside writes and see committed data only: a compaction is seen whole or not at all.
 *
 * Counting after compaction: contributions that arrive for a cell-hour already compacted are
 * added to its summary's numbers of rides and devices, since the pseudonyms that would tell
 * whether they were already counted are gone. `devices` then overcounts a device that
 * contributed before and after, and a ride redelivered after compaction counts twice.
 * Overcounting errs on the side of publishing, so compaction should run only past the kind's
 * allowed lateness.
 *
 * Pseudonyms after compaction: gone from every table, but DuckDB neither zeroes deleted rows
 * nor freed blocks, so their bytes may stay in the file until overwritten (measured with
 * 1.5.6: after DELETE and CHECKPOINT, and after rewriting the table). They are HMACs under a
 * daily key, unlinkable once that key is destroyed; erasing the bytes needs a copy of the
 * database into a new file.
 */
export class DuckDbGridStore implements GridStore {
  readonly path: string
  readonly #instance: DuckDBInstance
  readonly #writer: DuckDBConnection
  #queue: Promise<unknown> = Promise.resolve()
  readonly #inFlight = new Set<Promise<unknown>>()
  #closed = false

  private constructor (path: string, instance: DuckDBInstance, writer: DuckDBConnection) {
    this.path = path
    this.#instance = instance
    this.#writer = writer
  }

  /** Opens (creating if needed) the store at `path`, a file such as `${DATA_DIR}/grid.duckdb`, or `:memory:`. */
  static async open (path: string): Promise<DuckDbGridStore> {
    if (path !== ':memory:') await mkdir(dirname(path), { recursive: true })
    const instance = await DuckDBInstance.create(path)
    try {
      const writer = await instance.connect()
      for (const sql of SCHEMA) await writer.run(sql)
      return new DuckDbGridStore(path, instance, writer)
    } catch (err) {
      instance.closeSync()
      throw err
    }
  }

  writeContributions (rows: readonly CellContribution[]): Promise<void> {
    if (rows.length === 0) return this.#closed ? closed() : Promise.resolve()
    return this.#write(async (conn) => {
      await stage(conn, 'staging_contributions', (appender) => {
        let ord = 0n
        for (const r of rows) {
          appender.appendVarchar(r.kind)
          appender.appendVarchar(r.cell)
          appender.appendBigInt(BigInt(r.start))
          appender.appendVarchar(r.field)
          appender.appendVarchar(r.ride)
          appender.appendVarchar(r.device)
          appender.appendBigInt(BigInt(r.count))
          appender.appendDouble(r.sum)
          appender.appendDouble(r.min)
          appender.appendDouble(r.max)
          appender.appendBigInt(ord++)
          appender.endRow()
        }
      })
      await transaction(conn, 'staging_contributions', COMMIT_CONTRIBUTIONS.map((sql) => () => conn.run(sql)))
    })
  }

  cellAggregates (query: CellQuery): Promise<CellAggregate[]> {
    return this.#read(async (conn) => (await readRows(conn, ...cellAggregatesSql(query))).map((row) => toCellAggregate(row, query.kind)))
  }

  compactBefore (kind: string, before: number): Promise<number> {
    return this.#write(async (conn) => {
      const q = new Query()
      const where = `kind = ${q.varchar('kind', kind)} AND start < ${q.bigint('before', before)}`
      let removed = 0
      await transaction(conn, null, [
        // Rows of a key are its distinct rides (the ride is in the primary key).
        () => conn.run(`INSERT INTO summaries (kind, cell, start, field, count, sum, min, max, rides, devices)
          SELECT kind, cell, start, field, sum(count), sum(sum), min(min), max(max), count(*), count(DISTINCT device)
          FROM contributions WHERE ${where}
          GROUP BY kind, cell, start, field
          ON CONFLICT (kind, cell, start, field) DO UPDATE SET
            count = summaries.count + excluded.count,
            sum = summaries.sum + excluded.sum,
            min = least(summaries.min, excluded.min),
            max = greatest(summaries.max, excluded.max),
            rides = summaries.rides + excluded.rides,
            devices = summaries.devices + excluded.devices`, q.params, q.types),
        async () => {
          removed = (await conn.run(`DELETE FROM contributions WHERE ${where}`, q.params, q.types)).rowsChanged
        }
      ])
      return removed
    })
  }

  async ping (): Promise<void> {
    try {
      await this.#read((conn) => conn.run('SELECT 1'))
    } catch (err) {
      if (err instanceof SensorstadError) throw err
      throw new SensorstadError('STORE_ERR_UNAVAILABLE', `The grid store does not answer: ${(err as Error).message}`)
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

  #write<T> (fn: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
    if (this.#closed) return closed()
    const run = this.#queue.then(() => fn(this.#writer))
    this.#queue = run.catch(() => {})
    return this.#track(run)
  }

  #read<T> (fn: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
    if (this.#closed) return closed()
    return this.#track((async () => {
      const conn = await this.#instance.connect()
      try {
        return await fn(conn)
      } finally {
        conn.closeSync()
      }
    })())
  }

  #track<T> (op: Promise<T>): Promise<T> {
    this.#inFlight.add(op)
    const forget = (): void => { this.#inFlight.delete(op) }
    op.then(forget, forget)
    return op
  }
}

/**
 * Contributions and summaries of the selected cell-hours in one grouping: rides count the
 * contribution rows plus the summaries' rides, devices the distinct devices of the
 * contributions plus the summaries' devices (see the class comment on overcounting).
 * Thresholds apply to the merged numbers, after which order and limit.
 */
function cellAggregatesSql (query: CellQuery): [string, Query] {
  const q = new Query()
  const where = [
    `kind = ${q.varchar('kind', query.kind)}`,
    `start >= ${q.bigint('from', query.from)}`,
    `start < ${q.bigint('to', query.to)}`,
    ...(query.field === undefined ? [] : [`field = ${q.varchar('field', query.field)}`]),
    ...(query.cells === undefined ? [] : [`list_contains(${q.varcharList('cells', query.cells)}, cell)`])
  ].join(' AND ')
  const sql = `WITH parts AS (
      SELECT cell, start, field, count, sum, min, max, ride, device, 0 AS rides, 0 AS devices
      FROM contributions WHERE ${where}
      UNION ALL
      SELECT cell, start, field, count, sum, min, max, NULL::VARCHAR, NULL::VARCHAR, rides, devices
      FROM summaries WHERE ${where}
    ), merged AS (
      SELECT cell, start, field, sum(count) AS count, sum(sum) AS sum, min(min) AS min, max(max) AS max,
        sum(rides) + count(ride) AS rides, sum(devices) + count(DISTINCT device) AS devices
      FROM parts GROUP BY cell, start, field
    )
    SELECT cell, start, field, count, sum, min, max, rides, devices FROM merged
    WHERE rides >= ${q.bigint('min_rides', query.minRides ?? 1)} AND devices >= ${q.bigint('min_devices', query.minDevices ?? 1)}
    ORDER BY start, cell, field
    LIMIT ${q.bigint('limit', query.limit ?? DEFAULT_LIMIT)}`
  return [sql, q]
}

/** Bound parameters: user values only ever reach SQL as `$name` placeholders. */
class Query {
  readonly params: Params = {}
  readonly types: Types = {}

  varchar (name: string, value: string): string {
    return this.#bind(name, value, VARCHAR)
  }

  varcharList (name: string, values: readonly string[]): string {
    return this.#bind(name, listValue([...values]), LIST(VARCHAR))
  }

  /**
   * Times and counts are integers: a fractional lower bound (`>=`) or upper bound (`<`)
   * selects the same rows as its ceiling.
   */
  bigint (name: string, value: number): string {
    return this.#bind(name, BigInt(Math.ceil(value)), BIGINT)
  }

  #bind (name: string, value: DuckDBValue, type: DuckDBType): string {
    this.params[name] = value
    this.types[name] = type
    return `$${name}`
  }
}

async function readRows (conn: DuckDBConnection, sql: string, q?: Query): Promise<Row[]> {
  const reader = await conn.runAndReadAll(sql, q?.params, q?.types)
  return reader.getRowObjectsJS()
}

/** Appends rows to a TEMP staging table; on error nothing stays staged. */
async function stage (conn: DuckDBConnection, table: string, fill: (appender: DuckDBAppender) => void): Promise<void> {
  const appender = await conn.createAppender(table, 'main', 'temp')
  try {
    fill(appender)
  } catch (err) {
    appender.clear()
    appender.closeSync()
    await conn.run(`DELETE FROM temp.main.${table}`)
    throw err
  }
  appender.closeSync()
}

/** Runs `steps` in one transaction; on failure rolls back and empties the staging table. */
async function transaction (conn: DuckDBConnection, staging: string | null, steps: ReadonlyArray<() => Promise<unknown>>): Promise<void> {
  await conn.run('BEGIN TRANSACTION')
  try {
    for (const step of steps) await step()
    await conn.run('COMMIT')
  } catch (err) {
    // A failed COMMIT has already rolled back; ROLLBACK then has nothing to undo.
    await conn.run('ROLLBACK').catch(() => {})
    if (staging !== null) await conn.run(`DELETE FROM temp.main.${staging}`)
    throw err
  }
}

function closed (): Promise<never> {
  return Promise.reject(new SensorstadError('STORE_ERR_UNAVAILABLE', 'The grid store is closed'))
}

function toCellAggregate (row: Row, kind: string): CellAggregate {
  return {
    kind,
    cell: String(row.cell),
    start: Number(row.start),
    field: String(row.field),
    count: Number(row.count),
    sum: Number(row.sum),
    min: Number(row.min),
    max: Number(row.max),
    rides: Number(row.rides),
    devices: Number(row.devices)
  }
}

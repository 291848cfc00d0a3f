import type { DuckDBConnection } from '@duckdb/node-api'
import { firstOpenWindow, type AggregateQuery, type RangeQuery, type SeriesFilter, type TimeSeriesStore } from '../core/ports/time-series-store.js'
import type { Aggregate, Reading } from '../core/reading.js'
import { WINDOW_MS, type Window } from '../core/windows.js'
import { DuckDbDatabase } from './duckdb-database.js'
import { Query, readRows, stage, transaction } from './duckdb-sql.js'
import { DEFAULT_LIMIT, readingRangeOfWindows } from './query-range.js'

/*
 * Layout (DESIGN.md section 7). Times are BIGINT epoch ms.
 *
 * `readings` has no key: DuckDB's ART indexes are slow to append to and large on disk. A key
 * (sensor_id, field, time) written twice is stored twice; every read groups by the key and
 * takes the row with the highest `seq`, a write counter that outlives restarts (it resumes
 * at max(seq) + 1), so "the later write wins" is decided by order of commit, not by chance.
 *
 * `latest` and `aggregates` are small (one row per series, one per series and window), so a
 * primary key and upserts are cheap there.
 */
const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS readings (
    sensor_id VARCHAR NOT NULL, kind VARCHAR NOT NULL, field VARCHAR NOT NULL,
    time BIGINT NOT NULL, value DOUBLE NOT NULL, seq BIGINT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS latest (
    sensor_id VARCHAR NOT NULL, field VARCHAR NOT NULL, kind VARCHAR NOT NULL,
    time BIGINT NOT NULL, value DOUBLE NOT NULL,
    PRIMARY KEY (sensor_id, field))`,
  `CREATE TABLE IF NOT EXISTS aggregates (
    sensor_id VARCHAR NOT NULL, kind VARCHAR NOT NULL, field VARCHAR NOT NULL,
    "window" VARCHAR NOT NULL, start BIGINT NOT NULL,
    count BIGINT NOT NULL, sum DOUBLE NOT NULL, min DOUBLE NOT NULL, max DOUBLE NOT NULL,
    PRIMARY KEY (sensor_id, field, "window", start))`,
  // TEMP tables live in memory and outside the WAL, on the write connection only.
  `CREATE TEMP TABLE staging_readings (
    sensor_id VARCHAR, kind VARCHAR, field VARCHAR, time BIGINT, value DOUBLE, seq BIGINT)`,
  `CREATE TEMP TABLE staging_aggregates (
    sensor_id VARCHAR, kind VARCHAR, field VARCHAR, "window" VARCHAR, start BIGINT,
    count BIGINT, sum DOUBLE, min DOUBLE, max DOUBLE, ord BIGINT)`
]

const COMMIT_READINGS = [
  'INSERT INTO readings SELECT sensor_id, kind, field, time, value, seq FROM staging_readings',
  // One row per series from the batch (ON CONFLICT may not touch a row twice in a statement):
  // its newest reading, the later write on equal times. arg_max over GROUP BY, not a window
  // function with QUALIFY: 3.6 instead of 6.2 ms of CPU for a batch of 72 readings, which at
  // a city's rate (a small batch every flush) was most of the cost of a write.
  // It replaces the stored row unless that is newer. Equal time: this batch is the later write.
  `INSERT INTO latest
    SELECT sensor_id, field, arg_max(kind, (time, seq)), max(time), arg_max(value, (time, seq))
    FROM staging_readings GROUP BY sensor_id, field
    ON CONFLICT (sensor_id, field) DO UPDATE
      SET kind = excluded.kind, time = excluded.time, value = excluded.value
      WHERE excluded.time >= latest.time`,
  'DELETE FROM staging_readings'
]

const COMMIT_AGGREGATES = [
  `INSERT OR REPLACE INTO aggregates
    SELECT sensor_id, kind, field, "window", start, count, sum, min, max FROM staging_aggregates
    QUALIFY row_number() OVER (PARTITION BY sensor_id, field, "window", start ORDER BY ord DESC) = 1`,
  'DELETE FROM staging_aggregates'
]

/**
 * The embedded time-series store on DuckDB.
 *
 * Durability: a write resolves after its transaction commits, and DuckDB fsyncs the WAL
 * before COMMIT returns (see `transaction` in duckdb-sql.ts). So a resolved write survives a
 * crash of the process or the OS. A rejected write may still have been stored (a COMMIT that
 * failed at its checkpoint, see duckdb-database.ts); the caller retries it, and reads show a
 * key written twice once.
 *
 * Writes (readings, aggregates, deletes) run one at a time on one connection, because a
 * transaction spans several statements there. Reads each take a fresh connection, so they
 * run alongside writes and see committed data only.
 */
export class DuckDbTimeSeriesStore implements TimeSeriesStore {
  readonly path: string
  #db!: DuckDbDatabase
  /** Read from the file at open and at every reopen; only touched inside `#db.write`. */
  #nextSeq = 1n

  private constructor (path: string) {
    this.path = path
  }

  /** Opens (creating if needed) the store at `path`, a file such as `${DATA_DIR}/timeseries.duckdb`, or `:memory:`. */
  static async open (path: string): Promise<DuckDbTimeSeriesStore> {
    const store = new DuckDbTimeSeriesStore(path)
    store.#db = await DuckDbDatabase.open(path, {
      name: 'time-series store',
      schema: SCHEMA,
      resume: async (conn) => {
        const rows = await readRows(conn, 'SELECT coalesce(max(seq), 0) AS seq FROM readings')
        store.#nextSeq = BigInt(String(rows[0]?.seq ?? 0)) + 1n
      }
    })
    return store
  }

  writeReadings (readings: readonly Reading[]): Promise<void> {
    if (readings.length === 0) return this.#db.ensureOpen()
    return this.#db.write(async (conn) => {
      let seq = this.#nextSeq
      await stage(conn, 'staging_readings', (appender) => {
        for (const r of readings) {
          appender.appendVarchar(r.sensorId)
          appender.appendVarchar(r.kind)
          appender.appendVarchar(r.field)
          appender.appendBigInt(BigInt(r.time))
          appender.appendDouble(r.value)
          appender.appendBigInt(seq++)
          appender.endRow()
        }
      })
      await transaction(conn, 'staging_readings', COMMIT_READINGS.map((sql) => () => conn.run(sql)))
      this.#nextSeq = seq
    })
  }

  writeAggregates (aggregates: readonly Aggregate[]): Promise<void> {
    if (aggregates.length === 0) return this.#db.ensureOpen()
    return this.#db.write(async (conn) => {
      await stage(conn, 'staging_aggregates', (appender) => {
        let ord = 0n
        for (const a of aggregates) {
          appender.appendVarchar(a.sensorId)
          appender.appendVarchar(a.kind)
          appender.appendVarchar(a.field)
          appender.appendVarchar(a.window)
          appender.appendBigInt(BigInt(a.start))
          appender.appendBigInt(BigInt(a.count))
          appender.appendDouble(a.sum)
          appender.appendDouble(a.min)
          appender.appendDouble(a.max)
          appender.appendBigInt(ord++)
          appender.endRow()
        }
      })
      await transaction(conn, 'staging_aggregates', COMMIT_AGGREGATES.map((sql) => () => conn.run(sql)))
    })
  }

  readings (query: RangeQuery): Promise<Reading[]> {
    return this.#db.read(async (conn) => {
      const q = new SeriesQuery()
      const sql = `${q.deduped(query, query)}
        SELECT sensor_id, kind, field, time, value FROM deduped
        ORDER BY sensor_id, field, time
        LIMIT ${q.bigint('limit', query.limit ?? DEFAULT_LIMIT)}`
      return readReadings(conn, sql, q)
    })
  }

  aggregates (query: AggregateQuery): Promise<Aggregate[]> {
    return this.#db.read((conn) => readAggregates(conn, query.window, ...aggregatesSql(query)))
  }

  latest (filter: SeriesFilter): Promise<Reading[]> {
    return this.#db.read(async (conn) => {
      const q = new SeriesQuery()
      const sql = `SELECT sensor_id, kind, field, time, value FROM latest
        WHERE true ${q.filter(filter)}
        ORDER BY sensor_id, field`
      return readReadings(conn, sql, q)
    })
  }

  deleteReadingsBefore (kind: string, before: number, sensorIds?: readonly string[]): Promise<number> {
    return this.#db.write(async (conn) => {
      const q = new SeriesQuery()
      const where = `kind = ${q.varchar('kind', kind)} AND time < ${q.bigint('before', before)} ${q.filter({ sensorIds })}`
      let deleted = 0
      await transaction(conn, null, [
        // Counted as readings() would show them: a key written twice is one reading.
        async () => {
          const rows = await readRows(conn, `SELECT count(*) AS n FROM (SELECT DISTINCT sensor_id, field, time FROM readings WHERE ${where})`, q)
          deleted = Number(rows[0]?.n ?? 0)
        },
        () => conn.run(`DELETE FROM readings WHERE ${where}`, q.params, q.types)
      ])
      return deleted
    })
  }

  ping (): Promise<void> {
    return this.#db.ping()
  }

  close (): Promise<void> {
    return this.#db.close()
  }
}

/**
 * `auto` takes the stored window of each (sensor, field, start) where there is one and the
 * window computed from readings elsewhere; both are selected by start in [from, to). Windows
 * before `firstOpenWindow` (final, see the port) are read from the stored table only.
 */
function aggregatesSql (query: AggregateQuery): [string, SeriesQuery] {
  const q = new SeriesQuery()
  const computedFrom = Math.max(query.from, firstOpenWindow(query))
  const requested = query.source ?? 'auto'
  // Every window final: nothing to compute, so no readings are read.
  const source = requested === 'auto' && computedFrom >= query.to ? 'stored' : requested
  const select = (from: string): string => `SELECT sensor_id, kind, field, start, count, sum, min, max FROM ${from}`
  const stored = (): string => `stored AS (
    ${select('aggregates')}
    WHERE "window" = ${q.varchar('window', query.window)}
      AND start >= ${q.bigint('from', query.from)} AND start < ${q.bigint('to', query.to)}
      ${q.filter(query)})`
  // Bucket start as core/windows.ts windowStart: SQL's % keeps the sign of the dividend.
  const computed = (): string => {
    const size = q.bigint('size', WINDOW_MS[query.window])
    return `${q.deduped(query, readingRangeOfWindows(query.window, computedFrom, query.to))}, computed AS (
      SELECT sensor_id, arg_max(kind, time) AS kind, field,
        time - ((time % ${size}) + ${size}) % ${size} AS start,
        count(*) AS count, sum(value) AS sum, min(value) AS min, max(value) AS max
      FROM deduped GROUP BY sensor_id, field, start)`
  }
  const body = source === 'stored'
    ? `WITH ${stored()} ${select('stored')}`
    : source === 'readings'
      ? `${computed()} ${select('computed')}`
      : `${computed()}, ${stored()}
        ${select('stored')}
        UNION ALL
        ${select('computed c')} WHERE NOT EXISTS (
          SELECT 1 FROM stored s WHERE s.sensor_id = c.sensor_id AND s.field = c.field AND s.start = c.start)`
  return [`${body} ORDER BY sensor_id, field, start LIMIT ${q.bigint('limit', query.limit ?? DEFAULT_LIMIT)}`, q]
}

/** Queries over `readings` and the series tables, which select by SeriesFilter. */
class SeriesQuery extends Query {
  /** `AND ...` conditions for the filter's sensorIds, field and (unless skipped) kind. */
  filter (filter: SeriesFilter, withKind = true): string {
    const parts: string[] = []
    // A semi-join against the unnested list (a hash join): list_contains scanned the whole
    // list, 1,000 ids and more, for every row (30 days of 1,000 bins: 537 ms, now 391 ms).
    // An empty list still matches nothing.
    if (filter.sensorIds !== undefined) parts.push(`sensor_id IN (SELECT unnest(${this.varcharList('sensor_ids', filter.sensorIds)}))`)
    if (filter.field !== undefined) parts.push(`field = ${this.varchar('field', filter.field)}`)
    if (withKind && filter.kind !== undefined) parts.push(`kind = ${this.varchar('kind', filter.kind)}`)
    return parts.map((p) => `AND ${p}`).join(' ')
  }

  /**
   * A `WITH deduped AS (...)` clause: each (sensor_id, field, time) once, as its last write.
   * Kind is tested after the dedupe so an overwritten row cannot answer for its key.
   */
  deduped (filter: SeriesFilter, range: { from: number, to: number }): string {
    const kind = filter.kind === undefined ? '' : `HAVING arg_max(kind, seq) = ${this.varchar('kind', filter.kind)}`
    return `WITH deduped AS (
      SELECT sensor_id, field, time, arg_max(kind, seq) AS kind, arg_max(value, seq) AS value
      FROM readings
      WHERE time >= ${this.bigint('range_from', range.from)} AND time < ${this.bigint('range_to', range.to)}
      ${this.filter(filter, false)}
      GROUP BY sensor_id, field, time
      ${kind})`
  }
}

/*
 * Results are read column by column (getColumnsJS) and built in one loop: a row object per
 * row, then a second object from it, cost 15-20 % of a large aggregate query.
 */
async function readReadings (conn: DuckDBConnection, sql: string, q: SeriesQuery): Promise<Reading[]> {
  const [sensorId = [], kind = [], field = [], time = [], value = []] = await readColumns(conn, sql, q)
  const readings: Reading[] = new Array(sensorId.length)
  for (let i = 0; i < sensorId.length; i++) {
    readings[i] = { sensorId: String(sensorId[i]), kind: String(kind[i]), field: String(field[i]), time: Number(time[i]), value: Number(value[i]) }
  }
  return readings
}

/** Columns in the order of aggregatesSql's select: sensor_id, kind, field, start, count, sum, min, max. */
async function readAggregates (conn: DuckDBConnection, window: Window, sql: string, q: SeriesQuery): Promise<Aggregate[]> {
  const [sensorId = [], kind = [], field = [], start = [], count = [], sum = [], min = [], max = []] = await readColumns(conn, sql, q)
  const aggregates: Aggregate[] = new Array(sensorId.length)
  for (let i = 0; i < sensorId.length; i++) {
    aggregates[i] = {
      sensorId: String(sensorId[i]),
      kind: String(kind[i]),
      field: String(field[i]),
      window,
      start: Number(start[i]),
      count: Number(count[i]),
      sum: Number(sum[i]),
      min: Number(min[i]),
      max: Number(max[i])
    }
  }
  return aggregates
}

async function readColumns (conn: DuckDBConnection, sql: string, q: SeriesQuery): Promise<unknown[][]> {
  return (await conn.runAndReadAll(sql, q.params, q.types)).getColumnsJS()
}

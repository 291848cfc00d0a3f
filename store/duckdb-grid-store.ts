import type { CellAggregate, CellContribution, CellQuery, GridStore } from '../core/ports/grid-store.js'
import { DuckDbDatabase } from '../db/duckdb-database.js'
import { Query, readRows, stage, transaction } from './duckdb-sql.js'
import { DEFAULT_LIMIT } from './query-range.js'
import { toCellAggregate } from './cell-aggregate-row.js'

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

/**
 * The grid store (mobile air quality, privacy rules 6 and 7) on DuckDB, in its own file.
 *
 * Durability: a write resolves after its transaction commits, and DuckDB fsyncs the WAL
 * before COMMIT returns (see `transaction` in duckdb-sql.ts), so a resolved write survives a
 * crash.
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
  readonly #db: DuckDbDatabase

  private constructor (path: string, db: DuckDbDatabase) {
    this.path = path
    this.#db = db
  }

  /** Opens (creating if needed) the store at `path`, a file such as `${DATA_DIR}/grid.duckdb`, or `:memory:`. */
  static async open (path: string): Promise<DuckDbGridStore> {
    return new DuckDbGridStore(path, await DuckDbDatabase.open(path, { name: 'grid store', schema: SCHEMA }))
  }

  writeContributions (rows: readonly CellContribution[]): Promise<void> {
    if (rows.length === 0) return this.#db.ensureOpen()
    return this.#db.write(async (conn) => {
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
    return this.#db.read(async (conn) => (await readRows(conn, ...cellAggregatesSql(query))).map((row) => toCellAggregate(row, query.kind)))
  }

  compactBefore (kind: string, before: number): Promise<number> {
    return this.#db.write(async (conn) => {
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

  ping (): Promise<void> {
    return this.#db.ping()
  }

  close (): Promise<void> {
    return this.#db.close()
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

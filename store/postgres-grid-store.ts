import type { CellAggregate, CellContribution, CellQuery, GridStore } from '../core/ports/grid-store.js'
import { PostgresDatabase, type PostgresDatabaseOptions } from '../db/postgres-database.js'
import type { Migration } from '../db/postgres-migrations.js'
import { DEFAULT_LIMIT } from './query-range.js'
import { toCellAggregate } from './cell-aggregate-row.js'

/*
 * Layout, as in the DuckDB grid store, with names prefixed for a database other components
 * share. Times are bigint epoch ms (the start of a UTC hour).
 *
 * `grid_contributions` holds one row per ride per cell-hour and field; its key includes the
 * ride, so the rows of a cell-hour are its distinct rides, and a redelivered ride is an
 * upsert of its own row. `grid_summaries` holds what compaction leaves: one row per cell-hour
 * and field with the numbers of distinct rides and devices, and no pseudonym.
 *
 * Text is COLLATE "C": answers are ordered by code point (as the port and the other stores
 * order them) whatever the database's locale, and keys compare bytewise, which is faster.
 */
const MIGRATIONS: readonly Migration[] = [{
  version: 1,
  name: 'ride contributions and compacted summaries per cell-hour',
  sql: `
    CREATE TABLE grid_contributions (
      kind text COLLATE "C" NOT NULL, cell text COLLATE "C" NOT NULL, start bigint NOT NULL, field text COLLATE "C" NOT NULL,
      ride text COLLATE "C" NOT NULL, device text COLLATE "C" NOT NULL,
      count bigint NOT NULL, sum double precision NOT NULL, min double precision NOT NULL, max double precision NOT NULL,
      PRIMARY KEY (kind, cell, start, field, ride));
    CREATE INDEX grid_contributions_kind_start ON grid_contributions (kind, start);
    CREATE TABLE grid_summaries (
      kind text COLLATE "C" NOT NULL, cell text COLLATE "C" NOT NULL, start bigint NOT NULL, field text COLLATE "C" NOT NULL,
      count bigint NOT NULL, sum double precision NOT NULL, min double precision NOT NULL, max double precision NOT NULL,
      rides bigint NOT NULL, devices bigint NOT NULL,
      PRIMARY KEY (kind, cell, start, field));
    CREATE INDEX grid_summaries_kind_start ON grid_summaries (kind, start)`
}]

/*
 * One statement for a whole batch: ten arrays, one per column, so the statement and its ten
 * parameters stay the same size however many rows (a multi-row VALUES would need ten
 * parameters a row, and PostgreSQL takes at most 65,535).
 *
 * ON CONFLICT may not touch a row twice in one statement, so a key written twice in the batch
 * keeps its last row (the later write). Rows go in key order, so two batches that share keys
 * lock them in the same order and cannot deadlock each other.
 */
const WRITE = `INSERT INTO grid_contributions (kind, cell, start, field, ride, device, count, sum, min, max)
  SELECT DISTINCT ON (kind, cell, start, field, ride) kind, cell, start, field, ride, device, count, sum, min, max
  FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[],
    $7::bigint[], $8::float8[], $9::float8[], $10::float8[])
    WITH ORDINALITY AS batch (kind, cell, start, field, ride, device, count, sum, min, max, ord)
  ORDER BY kind, cell, start, field, ride, ord DESC
  ON CONFLICT (kind, cell, start, field, ride) DO UPDATE SET
    device = excluded.device, count = excluded.count, sum = excluded.sum, min = excluded.min, max = excluded.max`

/*
 * One statement: what is summarised is exactly what is deleted, even while other processes
 * write. Two statements would not be safe: a contribution committed between an INSERT ...
 * SELECT and a DELETE would be deleted without being summarised.
 */
const COMPACT = `WITH gone AS (
    DELETE FROM grid_contributions WHERE kind = $1 AND start < $2
    RETURNING cell, start, field, device, count, sum, min, max
  ), merged AS (
    INSERT INTO grid_summaries AS s (kind, cell, start, field, count, sum, min, max, rides, devices)
    SELECT $1, cell, start, field, sum(count), sum(sum), min(min), max(max), count(*), count(DISTINCT device)
    FROM gone GROUP BY cell, start, field
    ON CONFLICT (kind, cell, start, field) DO UPDATE SET
      count = s.count + excluded.count,
      sum = s.sum + excluded.sum,
      min = least(s.min, excluded.min),
      max = greatest(s.max, excluded.max),
      rides = s.rides + excluded.rides,
      devices = s.devices + excluded.devices
  )
  SELECT count(*) AS removed FROM gone`

export type PostgresGridStoreOptions = Pick<PostgresDatabaseOptions, 'poolSize' | 'connectTimeoutMs' | 'onError'>

/**
 * The grid store (mobile air quality, privacy rules 6 and 7) on PostgreSQL (`DATABASE_URL`),
 * shared by every broker process that ingests rides and every API process that answers.
 *
 * Durability: every write is one statement, committed before its promise resolves (with the
 * server's default `synchronous_commit = on`, after its WAL is flushed).
 *
 * Counting after compaction, as in the other grid stores: contributions that arrive for a
 * cell-hour already compacted are added to its summary's numbers of rides and devices, so
 * `devices` overcounts a device that contributed before and after, and a ride redelivered
 * after compaction counts twice. Compaction should run only past the kind's allowed lateness.
 *
 * Pseudonyms after compaction: gone from every table, but PostgreSQL keeps deleted rows as
 * dead tuples until VACUUM reclaims their space and later writes overwrite it, and the WAL
 * (and any WAL archive or replica) holds them for as long as it is kept. They are HMACs under
 * a daily key, unlinkable once that key is destroyed.
 */
export class PostgresGridStore implements GridStore {
  readonly url: string
  readonly #db: PostgresDatabase

  private constructor (url: string, db: PostgresDatabase) {
    this.url = url
    this.#db = db
  }

  /** Connects to `url` and creates or updates its tables (component `grid` in `schema_migrations`). */
  static async open (url: string, options: PostgresGridStoreOptions = {}): Promise<PostgresGridStore> {
    const db = await PostgresDatabase.open(url, { ...options, name: 'grid store', component: 'grid', migrations: MIGRATIONS })
    return new PostgresGridStore(url, db)
  }

  async writeContributions (rows: readonly CellContribution[]): Promise<void> {
    if (rows.length === 0) return this.#db.ensureOpen()
    const columns = COLUMNS.map((c) => rows.map((r) => r[c]))
    await this.#db.write(WRITE, columns)
  }

  async cellAggregates (query: CellQuery): Promise<CellAggregate[]> {
    const [sql, params] = cellAggregatesSql(query)
    return (await this.#db.read(sql, params)).map((row) => toCellAggregate(row, query.kind))
  }

  async compactBefore (kind: string, before: number): Promise<number> {
    const [row] = await this.#db.write(COMPACT, [kind, Math.ceil(before)])
    return Number(row?.removed ?? 0)
  }

  ping (): Promise<void> {
    return this.#db.ping()
  }

  close (): Promise<void> {
    return this.#db.close()
  }
}

const COLUMNS = ['kind', 'cell', 'start', 'field', 'ride', 'device', 'count', 'sum', 'min', 'max'] as const

/**
 * Contributions and summaries of the selected cell-hours in one grouping, read in one
 * snapshot, so a compaction is seen whole or not at all: rides count the contribution rows
 * plus the summaries' rides, devices the distinct devices of the contributions plus the
 * summaries' devices. Thresholds apply to the merged numbers, after which order and limit.
 */
function cellAggregatesSql (query: CellQuery): [string, unknown[]] {
  const params: unknown[] = []
  const bind = (value: unknown): string => `$${params.push(value)}`
  // Starts are whole ms: a fractional bound selects what its ceiling does.
  const where = [
    `kind = ${bind(query.kind)}`,
    `start >= ${bind(Math.ceil(query.from))}`,
    `start < ${bind(Math.ceil(query.to))}`,
    ...(query.field === undefined ? [] : [`field = ${bind(query.field)}`]),
    ...(query.cells === undefined ? [] : [`cell = ANY(${bind([...query.cells])}::text[])`])
  ].join(' AND ')
  const sql = `WITH parts AS (
      SELECT cell, start, field, count, sum, min, max, device, 1 AS ride, 0::bigint AS rides, 0::bigint AS devices
      FROM grid_contributions WHERE ${where}
      UNION ALL
      SELECT cell, start, field, count, sum, min, max, NULL, 0, rides, devices
      FROM grid_summaries WHERE ${where}
    )
    SELECT cell, start, field, sum(count) AS count, sum(sum) AS sum, min(min) AS min, max(max) AS max,
      sum(rides) + sum(ride) AS rides, sum(devices) + count(DISTINCT device) AS devices
    FROM parts GROUP BY cell, start, field
    HAVING sum(rides) + sum(ride) >= ${bind(Math.ceil(query.minRides ?? 1))}
      AND sum(devices) + count(DISTINCT device) >= ${bind(Math.ceil(query.minDevices ?? 1))}
    ORDER BY start, cell COLLATE "C", field COLLATE "C"
    LIMIT ${bind(query.limit ?? DEFAULT_LIMIT)}`
  return [sql, params]
}

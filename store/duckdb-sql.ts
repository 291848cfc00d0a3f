import {
  BIGINT, LIST, VARCHAR, listValue,
  type DuckDBAppender, type DuckDBConnection, type DuckDBType, type DuckDBValue
} from '@duckdb/node-api'

type Params = Record<string, DuckDBValue>
type Types = Record<string, DuckDBType>
export type Row = Record<string, unknown>

/** Bound parameters: user values only ever reach SQL as `$name` placeholders. */
export class Query {
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

export async function readRows (conn: DuckDBConnection, sql: string, q?: Query): Promise<Row[]> {
  const reader = await conn.runAndReadAll(sql, q?.params, q?.types)
  return reader.getRowObjectsJS()
}

/**
 * Appends rows to `table`, of the database's own catalog or of `temp` (TEMP tables). Inside
 * a transaction the rows are part of it, and a rollback takes them back; a `fill` that throws
 * leaves the rows not yet flushed out.
 */
export async function append (conn: DuckDBConnection, table: string, fill: (appender: DuckDBAppender) => void, catalog?: 'temp'): Promise<void> {
  const appender = await conn.createAppender(table, 'main', catalog ?? null)
  try {
    fill(appender)
  } catch (err) {
    appender.clear()
    appender.closeSync()
    throw err
  }
  appender.closeSync()
}

/** Appends rows to a TEMP staging table outside a transaction; on error nothing stays staged. */
export async function stage (conn: DuckDBConnection, table: string, fill: (appender: DuckDBAppender) => void): Promise<void> {
  try {
    await append(conn, table, fill, 'temp')
  } catch (err) {
    // clear() drops only the rows not yet flushed; the appender flushes every 204,800 rows
    // (measured, 1.5.6), so a long batch already has rows in the table.
    await conn.run(`DELETE FROM temp.main.${table}`)
    throw err
  }
}

/**
 * Runs `steps` in one transaction; on failure rolls back and empties the staging table.
 *
 * Durability: this resolves after COMMIT returns, and DuckDB fsyncs the WAL before COMMIT
 * returns (`WriteAheadLog::Flush` ends in `writer->Sync()`; fsync-on-commit is the default,
 * see duckdb/duckdb#722 and #25784; strace of 1.5.6 shows one fsync of `<file>.wal` per
 * write). So a write that resolves after its transaction survives a crash of the process or
 * the OS.
 */
export async function transaction (conn: DuckDBConnection, staging: string | null, steps: ReadonlyArray<() => Promise<unknown>>): Promise<void> {
  await conn.run('BEGIN TRANSACTION')
  try {
    for (const step of steps) await step()
    await conn.run('COMMIT')
  } catch (err) {
    // A failed COMMIT has already rolled back; ROLLBACK then has nothing to undo.
    await conn.run('ROLLBACK').catch(() => {})
    // Emptying an in-memory TEMP table fails only on an instance DuckDB invalidated (a failed
    // checkpoint): the error to report is still the first one, and the reopen that follows
    // starts a new connection with empty TEMP tables.
    if (staging !== null) await conn.run(`DELETE FROM temp.main.${staging}`).catch(() => { throw err })
    throw err
  }
}

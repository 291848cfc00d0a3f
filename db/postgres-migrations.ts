import type pg from 'pg'
import { SensorstadError } from '../core/errors.js'

/**
 * Versioned schema migrations on PostgreSQL, shared by the store components that keep tables
 * in one database (`alerts`, `grid`): `schema_migrations` records each applied (component,
 * version), so a migration runs once per database however often, and from however many
 * processes, the platform starts. The register keeps its own ledger, `registry.schema_migrations`
 * (version only), with its own runner under the same rules (registry/postgres-migrations.ts):
 * it was released before this ledger existed, and a released ledger is not rewritten.
 */
export interface Migration {
  /** 1, 2, 3, ... in the order they apply; never renumbered once released. */
  version: number
  /** What it does, kept in `schema_migrations` for whoever reads the database. */
  name: string
  /**
   * Statements run in one transaction, so they must be transactional (no `CREATE INDEX
   * CONCURRENTLY`, no `VACUUM`). Several may share one string, separated by semicolons.
   */
  sql: string
}

export interface MigrateOptions {
  /** How long to wait for another process's migration run (ms); default 60,000. */
  lockTimeoutMs?: number
}

/**
 * A fixed key of the transaction-level advisory lock every migration run takes, whatever its
 * component: `schema_migrations` itself is shared, and `CREATE TABLE IF NOT EXISTS` is not safe
 * against a concurrent creator of the same table. Any other application sharing the database
 * must not use this key ("SENS" in ASCII).
 */
export const MIGRATION_LOCK_KEY = 0x5345_4e53

const LEDGER = `CREATE TABLE IF NOT EXISTS schema_migrations (
  component text NOT NULL,
  version integer NOT NULL,
  name text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (component, version))`

/**
 * Applies the migrations of `component` that the database lacks, in version order, and
 * returns the versions it applied (none when another process got there first).
 *
 * The whole run is one READ COMMITTED transaction under `pg_advisory_xact_lock`, the
 * transaction-scoped form of `pg_advisory_lock`: two processes starting at once take turns,
 * and the second, once it holds the lock, sees what the first committed and applies nothing.
 * The lock goes with the transaction, so neither a failed run nor a lost connection can leave
 * it held, nor leave a pooled connection with a changed setting. A failing migration rolls
 * back the whole run, leaving the database as it was.
 *
 * A database that has a version of `component` this code does not know was migrated by a
 * newer release; running older code on it is refused rather than guessed at.
 */
export async function migrate (client: pg.ClientBase, component: string, migrations: readonly Migration[], options: MigrateOptions = {}): Promise<number[]> {
  checkMigrations(component, migrations)
  const lockTimeoutMs = options.lockTimeoutMs ?? 60_000
  await client.query('BEGIN ISOLATION LEVEL READ COMMITTED')
  try {
    await client.query("SELECT set_config('lock_timeout', $1, true)", [`${lockTimeoutMs}ms`])
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY])
    await client.query(LEDGER)
    const { rows } = await client.query<{ version: number }>(
      'SELECT version FROM schema_migrations WHERE component = $1 ORDER BY version', [component])
    const applied = new Set(rows.map((r) => r.version))
    const newest = migrations.at(-1)?.version ?? 0
    const unknown = rows.find((r) => r.version > newest)
    if (unknown !== undefined) {
      throw new SensorstadError('STORE_ERR_UNAVAILABLE',
        `The database holds ${component} schema version ${unknown.version}, newer than this release knows (${newest}): run a newer release`)
    }
    const done: number[] = []
    for (const m of migrations) {
      if (applied.has(m.version)) continue
      await client.query(m.sql)
      await client.query('INSERT INTO schema_migrations (component, version, name) VALUES ($1, $2, $3)', [component, m.version, m.name])
      done.push(m.version)
    }
    await client.query('COMMIT')
    return done
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {})
    throw err
  }
}

/** A list that could apply twice or out of order is a bug in the release, caught before any SQL runs. */
function checkMigrations (component: string, migrations: readonly Migration[]): void {
  if (component.length === 0) throw new TypeError('a migration component needs a name')
  let last = 0
  for (const m of migrations) {
    if (!Number.isSafeInteger(m.version) || m.version <= last) {
      throw new TypeError(`${component} migration versions must be whole numbers increasing from 1; ${m.version} follows ${last}`)
    }
    last = m.version
  }
}

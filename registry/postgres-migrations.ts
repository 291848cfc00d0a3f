import type pg from 'pg'
import { SensorstadError } from '../core/errors.js'

/**
 * The PostgreSQL schema of the register, in its own schema `registry`, as an ordered list of
 * migrations: entry i is version i + 1, applied once and recorded in `registry.schema_migrations`.
 * Append only: a released entry never changes, since databases already past it will not run
 * it again. Every migration must leave the schema usable by processes of the release before
 * it that are still running, so processes can be upgraded one at a time (one of them that
 * restarts is refused, see `migrate`).
 */
export const REGISTRY_SCHEMA = 'registry'
/** The NOTIFY channel of register changes (migration 2); payload `{"table": ..., "id": ...}`. */
export const REGISTRY_CHANNEL = 'sensorstad_registry'

/** Written out in full, not built from constants: a released migration must never change. */
export const MIGRATIONS: readonly string[] = [
  // 1. One row of JSON per entry, as in the embedded store: the register is read whole at start
  // and written one entry at a time, so columns would buy nothing but migrations. `json`, not
  // `jsonb`: jsonb refuses the escape \u0000, which a free-text field may hold.
  `
    CREATE TABLE registry.sensors (id text PRIMARY KEY, doc json NOT NULL, updated_at timestamptz NOT NULL DEFAULT now());
    CREATE TABLE registry.zones (id text PRIMARY KEY, doc json NOT NULL, updated_at timestamptz NOT NULL DEFAULT now());
    CREATE TABLE registry.credentials (id text PRIMARY KEY, doc json NOT NULL, updated_at timestamptz NOT NULL DEFAULT now());
    CREATE TABLE registry.tokens (id text PRIMARY KEY, doc json NOT NULL, updated_at timestamptz NOT NULL DEFAULT now());
  `,

  // 2. Every committed change, by this platform or by hand in psql, notifies the listeners of
  // other processes on REGISTRY_CHANNEL. Only table and id: a payload reaches every LISTENer
  // of the database, so no hash goes in; payloads are capped at 8000 bytes, ids at 64 characters.
  `
    CREATE FUNCTION registry.notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM pg_notify('sensorstad_registry', json_build_object('table', TG_TABLE_NAME, 'id', COALESCE(NEW.id, OLD.id))::text);
      RETURN NULL;
    END
    $$;
    CREATE TRIGGER notify_change AFTER INSERT OR UPDATE OR DELETE ON registry.sensors FOR EACH ROW EXECUTE FUNCTION registry.notify_change();
    CREATE TRIGGER notify_change AFTER INSERT OR UPDATE OR DELETE ON registry.zones FOR EACH ROW EXECUTE FUNCTION registry.notify_change();
    CREATE TRIGGER notify_change AFTER INSERT OR UPDATE OR DELETE ON registry.credentials FOR EACH ROW EXECUTE FUNCTION registry.notify_change();
    CREATE TRIGGER notify_change AFTER INSERT OR UPDATE OR DELETE ON registry.tokens FOR EACH ROW EXECUTE FUNCTION registry.notify_change();
  `
]

/**
 * The key of the advisory lock every registry migration run takes: any fixed number, the
 * same in every process ("sstrem" in ASCII). The store components' runner
 * (db/postgres-migrations.ts) uses another key and other tables, so neither waits on the other.
 */
export const MIGRATION_LOCK = 0x73737472656d

export interface MigrateOptions {
  /** How long to wait for another process's migration run, ms; default 60,000. */
  lockTimeoutMs?: number
}

/**
 * Brings the schema to the newest version and returns the versions this call applied (none
 * when another process got there first). The run is one transaction under
 * `pg_advisory_xact_lock`, the transaction-scoped `pg_advisory_lock`: processes starting at
 * once take turns, and the second, once it holds the lock, sees what the first committed. The
 * lock goes with the transaction, so a failed run or a lost connection cannot leave it held,
 * and a failing migration rolls the whole run back. A database at a version this release does
 * not know was migrated by a newer one; running older code on it is refused, not guessed at.
 */
export async function migrate (pool: pg.Pool, migrations: readonly string[] = MIGRATIONS, options: MigrateOptions = {}): Promise<number[]> {
  const client = await pool.connect()
  try {
    await client.query('BEGIN ISOLATION LEVEL READ COMMITTED')
    try {
      await client.query("SELECT set_config('lock_timeout', $1, true)", [`${options.lockTimeoutMs ?? 60_000}ms`])
      await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK])
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${REGISTRY_SCHEMA};
        CREATE TABLE IF NOT EXISTS ${REGISTRY_SCHEMA}.schema_migrations (
          version integer PRIMARY KEY,
          applied_at timestamptz NOT NULL DEFAULT now()
        )`)
      const { rows } = await client.query<{ version: number }>(`SELECT version FROM ${REGISTRY_SCHEMA}.schema_migrations`)
      const done = new Set(rows.map((row) => row.version))
      const newer = rows.find((row) => row.version > migrations.length)
      if (newer !== undefined) {
        throw new SensorstadError('STORE_ERR_UNAVAILABLE',
          `The database holds registry schema version ${newer.version}, newer than this release knows (${migrations.length}): run a newer release`)
      }
      const applied: number[] = []
      for (const [index, sql] of migrations.entries()) {
        const version = index + 1
        if (done.has(version)) continue
        try {
          await client.query(sql)
        } catch (err) {
          throw new Error(`registry schema migration ${version} failed: ${(err as Error).message}`, { cause: err })
        }
        await client.query(`INSERT INTO ${REGISTRY_SCHEMA}.schema_migrations (version) VALUES ($1)`, [version])
        applied.push(version)
      }
      await client.query('COMMIT')
      return applied
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {})
      throw err
    }
  } finally {
    client.release()
  }
}

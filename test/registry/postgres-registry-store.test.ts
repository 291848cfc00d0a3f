import pg from 'pg'
import { describe, expect, it } from 'vitest'
import type { RegistryStore } from '../../core/ports/registry-store.js'
import { migrate, MIGRATION_LOCK, MIGRATIONS } from '../../registry/postgres-migrations.js'
import { PostgresRegistryStore } from '../../registry/postgres-registry-store.js'
import { hasPostgres, postgresForSuite, psql, requirePostgresInCi } from '../helpers/postgres.js'
import { registryStoreConformance } from './registry-store.conformance.js'

/**
 * The PostgreSQL register on a real server (test/helpers/postgres.ts): the conformance suite
 * with a database of its own per store, and the schema migrations.
 */
requirePostgresInCi()

/** The database each open store lives in; the store itself does not say. */
const urls = new WeakMap<RegistryStore, string>()

/**
 * A pool of one connection, as a process running migrations has. An idle connection that the
 * server drops (its fast shutdown at the end of the file) is reported as the pool's 'error'
 * event, which would fail the run from outside any test if nothing listened.
 */
const onePool = (url: string): pg.Pool => {
  const pool = new pg.Pool({ connectionString: url, max: 1 })
  pool.on('error', () => {})
  return pool
}

const openAt = async (url: string): Promise<PostgresRegistryStore> => {
  const store = await PostgresRegistryStore.open(url)
  urls.set(store, url)
  return store
}

describe.skipIf(!hasPostgres)('PostgresRegistryStore', () => {
  const { server } = postgresForSuite()

  registryStoreConformance('postgres', async () => openAt(await server().createDatabase()), async (store) => {
    const url = urls.get(store)
    if (url === undefined) throw new TypeError('reopen needs a store opened by this file')
    await store.close()
    return openAt(url)
  })

  describe('schema migrations', () => {
    const versions = async (url: string): Promise<number[]> =>
      (await psql<{ version: number }>(url, 'SELECT version FROM registry.schema_migrations ORDER BY version')).map((r) => r.version)
    const all = MIGRATIONS.map((_, i) => i + 1)

    it('applies every migration once, in order, on first open, and none on the next', async () => {
      const url = await server().createDatabase()
      await (await PostgresRegistryStore.open(url)).close()
      const first = await psql<{ version: number, applied_at: Date }>(url, 'SELECT version, applied_at FROM registry.schema_migrations ORDER BY version')
      expect(first.map((r) => r.version)).toStrictEqual(all)
      expect(first.every((r) => r.applied_at instanceof Date)).toBe(true)
      await (await PostgresRegistryStore.open(url)).close()
      expect(await psql(url, 'SELECT version, applied_at FROM registry.schema_migrations ORDER BY version')).toStrictEqual(first)
    })

    it('applies each migration once when eight processes start at the same moment', async () => {
      const url = await server().createDatabase()
      const pools = Array.from({ length: 8 }, () => onePool(url))
      try {
        const applied = await Promise.all(pools.map((pool) => migrate(pool)))
        // Exactly one of them did the work; the others waited on the lock and found it done.
        expect(applied.flat().sort()).toStrictEqual(all)
        expect(applied.filter((versions) => versions.length > 0)).toHaveLength(1)
      } finally {
        await Promise.all(pools.map((pool) => pool.end()))
      }
      expect(await versions(url)).toStrictEqual(all)
    })

    it('opens concurrently: stores on one fresh database all work', async () => {
      const url = await server().createDatabase()
      const stores = await Promise.all(Array.from({ length: 4 }, () => PostgresRegistryStore.open(url)))
      try {
        await Promise.all(stores.map((store, i) => store.putToken({ id: `00000000000${i}`, name: `t${i}`, role: 'admin', secretHash: 'h', createdAt: '2024-01-01T00:00:00.000Z' })))
        expect((await stores[0]!.load()).tokens.map((t) => t.id)).toStrictEqual(['000000000000', '000000000001', '000000000002', '000000000003'])
      } finally {
        await Promise.all(stores.map((store) => store.close()))
      }
      expect(await versions(url)).toStrictEqual(all)
    })

    it('upgrades a database at version 1, keeping its entries, and the upgrade takes effect', async () => {
      const url = await server().createDatabase()
      const pool = onePool(url)
      try {
        expect(await migrate(pool, MIGRATIONS.slice(0, 1))).toStrictEqual([1])
        await pool.query('INSERT INTO registry.zones (id, doc) VALUES ($1, $2)', ['neude', JSON.stringify({ id: 'neude', name: 'Neude' })])
      } finally {
        await pool.end()
      }
      expect(await versions(url)).toStrictEqual([1])
      const store = await PostgresRegistryStore.open(url)
      try {
        expect(await versions(url)).toStrictEqual(all)
        expect(await store.get('zones', 'neude')).toStrictEqual({ id: 'neude', name: 'Neude' })
        // Version 2 is the change trigger: a write is now heard.
        const heard: unknown[] = []
        const ready = new Promise<void>((resolve) => store.watch((change) => {
          heard.push(change)
          if (change.type === 'reload') resolve()
        }))
        await ready
        await store.putZone({ id: 'vredenburg', name: 'Vredenburg', geometry: { type: 'Polygon', coordinates: [] }, areaM2: 1, createdAt: 'x', updatedAt: 'x' })
        await expect.poll(() => heard, { timeout: 2_000 }).toContainEqual({ type: 'changed', table: 'zones', id: 'vredenburg' })
      } finally {
        await store.close()
      }
    })

    it('rolls a failing run back whole, says which migration failed, and lets the next run go', async () => {
      const url = await server().createDatabase()
      const pool = onePool(url)
      try {
        const broken = [...MIGRATIONS, 'CREATE TABLE registry.extra (id text); SELECT no_such_function()']
        await expect(migrate(pool, broken)).rejects.toThrow(`registry schema migration ${broken.length} failed`)
        const { rows } = await pool.query('SELECT to_regclass($1) AS extra, to_regclass($2) AS sensors', ['registry.extra', 'registry.sensors'])
        expect(rows).toStrictEqual([{ extra: null, sensors: null }])
        // Nothing was left locked or half done: the real run applies everything.
        expect(await migrate(pool)).toStrictEqual(all)
        await expect(migrate(pool, broken)).rejects.toThrow(`registry schema migration ${broken.length} failed`)
        expect(await migrate(pool)).toStrictEqual([])
      } finally {
        await pool.end()
      }
      expect(await versions(url)).toStrictEqual(all)
    })

    it('refuses a database migrated by a newer release', async () => {
      const url = await server().createDatabase()
      const pool = onePool(url)
      try {
        await migrate(pool, [...MIGRATIONS, 'SELECT 1'])
      } finally {
        await pool.end()
      }
      await expect(PostgresRegistryStore.open(url)).rejects.toMatchObject({ code: 'STORE_ERR_UNAVAILABLE' })
    })

    it('waits for a migration run in progress, up to its lock timeout', async () => {
      const url = await server().createDatabase()
      const holder = new pg.Client({ connectionString: url })
      const pool = onePool(url)
      await holder.connect()
      try {
        await holder.query('BEGIN')
        await holder.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK])
        const started = Date.now()
        await expect(migrate(pool, MIGRATIONS, { lockTimeoutMs: 300 })).rejects.toThrow(/lock timeout/)
        expect(Date.now() - started).toBeGreaterThanOrEqual(250)
        const waiting = migrate(pool)
        await new Promise((resolve) => setTimeout(resolve, 100))
        await holder.query('COMMIT')
        expect(await waiting).toStrictEqual(all)
      } finally {
        await holder.end()
        await pool.end()
      }
    })
  })
})

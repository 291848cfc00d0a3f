import pg from 'pg'
import { describe, expect, it } from 'vitest'
import { PostgresAlertStore } from '../../store/postgres-alert-store.js'
import { PostgresGridStore } from '../../store/postgres-grid-store.js'
import { migrate, type Migration } from '../../db/postgres-migrations.js'
import { hasPostgres, postgresForSuite, requirePostgresInCi } from '../helpers/postgres.js'

/**
 * The migration runner every PostgreSQL component shares, against a real server: each
 * (component, version) applies once per database, however many processes start at once.
 */
requirePostgresInCi()
const run = hasPostgres ? describe : describe.skip

run('PostgreSQL migrations (real postgres)', () => {
  const { createDatabase: newDatabase } = postgresForSuite()

  /** A connected client on a new database; `use` runs with it and it is closed after. */
  const withClient = async <T>(url: string, use: (client: pg.Client) => Promise<T>): Promise<T> => {
    const client = new pg.Client({ connectionString: url })
    await client.connect()
    try {
      return await use(client)
    } finally {
      await client.end()
    }
  }
  const ledger = (url: string): Promise<unknown[]> => withClient(url, async (c) =>
    (await c.query('SELECT component, version, name FROM schema_migrations ORDER BY component, version')).rows)

  // Version 2 appends a row with no key: had it run twice, the table would say so.
  const counted: Migration[] = [
    { version: 1, name: 'a table', sql: 'CREATE TABLE runs (version int NOT NULL)' },
    { version: 2, name: 'a row', sql: 'INSERT INTO runs VALUES (2); INSERT INTO runs VALUES (2)' }
  ]

  it('applies each version once, however many processes migrate at once, and nothing on a second run', async () => {
    const url = await newDatabase()
    const applied = await Promise.all(Array.from({ length: 8 }, () => withClient(url, (c) => migrate(c, 'test', counted))))
    expect(applied.filter((a) => a.length > 0)).toEqual([[1, 2]])
    expect(await withClient(url, (c) => migrate(c, 'test', counted))).toEqual([])
    expect(await withClient(url, async (c) => (await c.query('SELECT count(*)::int AS n FROM runs')).rows)).toEqual([{ n: 2 }])
    expect(await ledger(url)).toEqual([{ component: 'test', version: 1, name: 'a table' }, { component: 'test', version: 2, name: 'a row' }])
  })

  it('applies only the versions a database lacks, in order', async () => {
    const url = await newDatabase()
    expect(await withClient(url, (c) => migrate(c, 'test', counted.slice(0, 1)))).toEqual([1])
    expect(await withClient(url, (c) => migrate(c, 'test', counted))).toEqual([2])
  })

  it('keeps components apart: the same versions of two components both apply', async () => {
    const url = await newDatabase()
    const other: Migration[] = [{ version: 1, name: 'another table', sql: 'CREATE TABLE other (v int)' }]
    await withClient(url, (c) => migrate(c, 'test', counted))
    expect(await withClient(url, (c) => migrate(c, 'other', other))).toEqual([1])
    expect((await ledger(url)).map((r) => (r as { component: string }).component)).toEqual(['other', 'test', 'test'])
  })

  it('rolls back the whole run when a migration fails, and applies it all once fixed', async () => {
    const url = await newDatabase()
    const broken: Migration[] = [counted[0]!, { version: 2, name: 'a typo', sql: 'INSERT INTO nowhere VALUES (1)' }]
    await expect(withClient(url, (c) => migrate(c, 'test', broken))).rejects.toThrow(/nowhere/)
    // Even the ledger, created by this first run, is gone with it.
    expect(await withClient(url, async (c) => (await c.query("SELECT to_regclass('runs') AS runs, to_regclass('schema_migrations') AS ledger")).rows))
      .toEqual([{ runs: null, ledger: null }])
    expect(await withClient(url, (c) => migrate(c, 'test', counted))).toEqual([1, 2])
  })

  it('refuses a database migrated by a newer release, and a version list out of order', async () => {
    const url = await newDatabase()
    await withClient(url, (c) => migrate(c, 'test', counted))
    await expect(withClient(url, (c) => migrate(c, 'test', counted.slice(0, 1)))).rejects.toMatchObject({ code: 'STORE_ERR_UNAVAILABLE' })
    await expect(withClient(url, (c) => migrate(c, 'test', [counted[1]!, counted[0]!]))).rejects.toThrow(TypeError)
    await expect(withClient(url, (c) => migrate(c, 'test', [{ ...counted[0]!, version: 0 }]))).rejects.toThrow(TypeError)
  })

  it('lets the alert and grid stores share one database, each with its own ledger entries', async () => {
    const url = await newDatabase()
    const [alerts, grid] = await Promise.all([PostgresAlertStore.open(url), PostgresGridStore.open(url)])
    try {
      const event = await alerts.append({
        zoneId: 'dam', type: 'level', level: 'busy', previousLevel: 'normal', count: 1, density: 0.6, threshold: 0.5, sensorIds: [], time: '2024-04-27T12:00:00.000Z', ack: null
      })
      expect(event.id).toBe('1')
      await grid.writeContributions([{ kind: 'air', cell: 'c1', start: 0, field: 'pm25', ride: 'r', device: 'd', count: 1, sum: 2, min: 2, max: 2 }])
      expect(await grid.cellAggregates({ kind: 'air', from: 0, to: 1 })).toHaveLength(1)
      expect((await ledger(url)).map((r) => (r as { component: string }).component)).toEqual(['alerts', 'grid'])
    } finally {
      await Promise.all([alerts.close(), grid.close()])
    }
  })
})

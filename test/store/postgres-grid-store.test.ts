import { afterEach, describe, expect, it } from 'vitest'
import type { CellAggregate, CellContribution, GridStore } from '../../core/ports/grid-store.js'
import { PostgresGridStore } from '../../store/postgres-grid-store.js'
import { hasPostgres, postgresForSuite, psql, requirePostgresInCi } from '../helpers/postgres.js'
import { gridStoreConformance } from './grid-store.conformance.js'

/**
 * The grid conformance suite against a real PostgreSQL (Debian's binaries, a fresh cluster on
 * a free loopback port), plus what only a shared database shows: several processes' stores on
 * one database. Without PostgreSQL the file is skipped here and fails in CI, which installs it.
 */
requirePostgresInCi()
const run = hasPostgres ? describe : describe.skip

run('PostgreSQL grid store (real postgres)', () => {
  // One server for the file, a new database per store, so tests share nothing.
  const { server, createDatabase } = postgresForSuite()

  const reopen = async (store: GridStore): Promise<GridStore> => {
    if (!(store instanceof PostgresGridStore)) throw new TypeError('reopen needs a PostgresGridStore')
    await store.close()
    return PostgresGridStore.open(store.url)
  }

  gridStoreConformance('postgres', async () => PostgresGridStore.open(await createDatabase()), reopen)

  describe('PostgresGridStore', () => {
    const T0 = Date.UTC(2024, 2, 10)
    const HOUR = 3_600_000
    const contrib = (ride: string, device: string, start: number, value: number, cell = 'c1'): CellContribution =>
      ({ kind: 'air', cell, start, field: 'pm25', ride, device, count: 1, sum: value, min: value, max: value })
    const agg = (start: number, count: number, sum: number, min: number, max: number, rides: number, devices: number): CellAggregate =>
      ({ kind: 'air', cell: 'c1', start, field: 'pm25', count, sum, min, max, rides, devices })
    const all = { kind: 'air', from: T0 - HOUR, to: T0 + 24 * HOUR }
    const opened: GridStore[] = []
    const open = async (url: string): Promise<PostgresGridStore> => {
      const store = await PostgresGridStore.open(url)
      opened.push(store)
      return store
    }

    afterEach(async () => {
      await Promise.all(opened.splice(0).map((s) => s.close()))
    })

    it('lets two stores on one database (two processes) count each other\'s rides once', async () => {
      const url = await createDatabase()
      const [a, b] = await Promise.all([open(url), open(url)])
      await a.writeContributions([contrib('r1', 'd1', T0, 1), contrib('r2', 'd2', T0, 2)])
      await b.writeContributions([contrib('r3', 'd2', T0, 3)])
      // r1 redelivered through the other broker: it replaces itself and counts once.
      await b.writeContributions([contrib('r1', 'd1', T0, 4)])
      const expected = [agg(T0, 3, 9, 2, 4, 3, 2)]
      expect(await a.cellAggregates(all)).toEqual(expected)
      expect(await b.cellAggregates(all)).toEqual(expected)
      expect(await a.compactBefore('air', T0 + HOUR)).toBe(3)
      expect(await b.cellAggregates(all)).toEqual(expected)
    })

    it('loses no contribution when one process compacts while two others write the same cell-hours', async () => {
      const url = await createDatabase()
      const [compactor, w1, w2] = await Promise.all([open(url), open(url), open(url)])
      const rounds = 20
      // Each round, each writer sends one ride over 30 cells; the compactor runs among them.
      const write = (w: GridStore, name: string): Promise<void[]> => Promise.all(Array.from({ length: rounds }, (_, r) =>
        w.writeContributions(Array.from({ length: 30 }, (_, c) => contrib(`${name}-r${r}`, `${name}-d${r % 4}`, T0, r, `c${c}`)))))
      const compactions = Promise.all(Array.from({ length: rounds }, () => compactor.compactBefore('air', T0 + HOUR)))
      const [,, removed] = await Promise.all([write(w1, 'a'), write(w2, 'b'), compactions])
      removed.push(await compactor.compactBefore('air', T0 + HOUR))
      expect(removed.reduce((x, y) => x + y)).toBe(2 * rounds * 30)
      const cells = await compactor.cellAggregates({ ...all, limit: 100 })
      expect(cells).toHaveLength(30)
      // Every ride counted once, whether compacted or not: 40 rides, 190 x 2 summed.
      for (const a of cells) expect(a).toMatchObject({ count: 2 * rounds, sum: 380, min: 0, max: rounds - 1, rides: 2 * rounds })
    }, 60_000)

    it('writes a batch all or nothing, refusing bad values with STORE_ERR_REJECTED', async () => {
      const store = await open(await createDatabase())
      await store.writeContributions([contrib('r1', 'd1', T0, 1)])
      await expect(store.writeContributions([contrib('r2', 'd2', T0, 2), contrib('r3', 'd3', T0 + 0.5, 3)]))
        .rejects.toMatchObject({ code: 'STORE_ERR_REJECTED' })
      await expect(store.writeContributions([contrib('r2', 'd2', T0, 2), { ...contrib('r3', 'd3', T0, 3), kind: null as unknown as string }]))
        .rejects.toMatchObject({ code: 'STORE_ERR_REJECTED' })
      await expect(store.writeContributions([contrib('r2', 'd2', T0, 2), contrib('r3\u0000', 'd3', T0, 3)]))
        .rejects.toMatchObject({ code: 'STORE_ERR_REJECTED' })
      expect(await store.cellAggregates(all)).toEqual([agg(T0, 1, 1, 1, 1, 1, 1)])
    })

    it('keeps no pseudonym in any table once compacted', async () => {
      const url = await createDatabase()
      const store = await open(url)
      const pseudonyms = ['ride-7f3a', 'ride-91bc', 'ride-c0de', 'device-5e1f', 'device-a4d2']
      await store.writeContributions([
        contrib('ride-7f3a', 'device-5e1f', T0, 1),
        contrib('ride-91bc', 'device-5e1f', T0, 2),
        contrib('ride-c0de', 'device-a4d2', T0 + HOUR, 3)
      ])
      /** Every row of every table of ours, as text: what anyone with access to the database could read. */
      const dump = async (): Promise<string> => {
        const tables = await psql(url, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name")
        expect(tables.map((t) => t.table_name)).toEqual(['grid_contributions', 'grid_summaries', 'schema_migrations'])
        let text = ''
        for (const t of tables) text += JSON.stringify(await psql(url, `SELECT * FROM "${String(t.table_name)}"`))
        return text
      }
      // The dump does show pseudonyms before compaction, so its silence afterwards means something.
      const before = await dump()
      for (const p of pseudonyms) expect(before).toContain(p)
      expect(await store.compactBefore('air', T0 + 2 * HOUR)).toBe(3)
      const after = await dump()
      for (const p of pseudonyms) expect(after).not.toContain(p)
      expect(await store.cellAggregates(all)).toEqual([agg(T0, 2, 3, 1, 2, 2, 1), agg(T0 + HOUR, 1, 3, 3, 3, 1, 1)])
    })

    it('answers STORE_ERR_UNAVAILABLE while the server is down, and works again once it is back', async () => {
      const store = await open(await createDatabase())
      await store.writeContributions([contrib('r1', 'd1', T0, 1)])
      await server().stop()
      try {
        await expect(store.ping()).rejects.toMatchObject({ code: 'STORE_ERR_UNAVAILABLE' })
        await expect(store.writeContributions([contrib('r2', 'd2', T0, 2)])).rejects.toMatchObject({ code: 'STORE_ERR_UNAVAILABLE' })
      } finally {
        await server().start()
      }
      await store.writeContributions([contrib('r2', 'd2', T0, 2)])
      expect(await store.cellAggregates(all)).toEqual([agg(T0, 2, 3, 1, 2, 2, 2)])
    }, 60_000)
  })
})

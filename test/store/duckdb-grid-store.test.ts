import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DuckDBInstance } from '@duckdb/node-api'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { CellAggregate, CellContribution, GridStore } from '../../core/ports/grid-store.js'
import { DuckDbGridStore } from '../../store/duckdb-grid-store.js'
import { gridStoreConformance } from './grid-store.conformance.js'

let dir = ''
let files = 0

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sensorstad-grid-'))
})

afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

/** A new, empty store file per test, so tests share nothing. */
const openFresh = (): Promise<DuckDbGridStore> => DuckDbGridStore.open(join(dir, `grid-${++files}.duckdb`))

const reopen = async (store: GridStore): Promise<GridStore> => {
  if (!(store instanceof DuckDbGridStore)) throw new TypeError('reopen needs a DuckDbGridStore')
  await store.close()
  return DuckDbGridStore.open(store.path)
}

gridStoreConformance('duckdb (file)', openFresh, reopen)

// No `reopen`: an in-memory database is gone once closed, so the restart tests are skipped.
gridStoreConformance('duckdb (:memory:)', () => DuckDbGridStore.open(':memory:'))

describe('DuckDbGridStore', () => {
  const T0 = Date.UTC(2024, 2, 10)
  const HOUR = 3_600_000
  const contrib = (ride: string, device: string, start: number, value: number): CellContribution =>
    ({ kind: 'air', cell: 'c1', start, field: 'pm25', ride, device, count: 1, sum: value, min: value, max: value })
  const agg = (start: number, count: number, sum: number, min: number, max: number, rides: number, devices: number): CellAggregate =>
    ({ kind: 'air', cell: 'c1', start, field: 'pm25', count, sum, min, max, rides, devices })
  const all = { kind: 'air', from: T0 - HOUR, to: T0 + 24 * HOUR }
  const opened: GridStore[] = []

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((s) => s.close()))
  })

  /** Every row of every table in the file, as text: what anyone with the file could read. */
  const dump = async (path: string): Promise<string> => {
    const instance = await DuckDBInstance.create(path)
    try {
      const conn = await instance.connect()
      const tables = (await conn.runAndReadAll('SELECT table_name FROM duckdb_tables() ORDER BY table_name')).getRowObjectsJson()
      expect(tables.map((t) => t.table_name)).toEqual(['contributions', 'summaries'])
      let text = ''
      for (const t of tables) {
        text += JSON.stringify((await conn.runAndReadAll(`SELECT * FROM "${String(t.table_name)}"`)).getRowObjectsJson())
      }
      conn.closeSync()
      return text
    } finally {
      instance.closeSync()
    }
  }

  it('creates the parent folder of its file', async () => {
    const path = join(dir, 'nested', 'deeper', 'grid.duckdb')
    const store = await DuckDbGridStore.open(path)
    opened.push(store)
    await store.writeContributions([contrib('r1', 'd1', T0, 1)])
    expect((await stat(path)).isFile()).toBe(true)
  })

  it('keeps no pseudonym in any table once compacted', async () => {
    const pseudonyms = ['ride-7f3a', 'ride-91bc', 'ride-c0de', 'device-5e1f', 'device-a4d2']
    let store: GridStore = await openFresh()
    await store.writeContributions([
      contrib('ride-7f3a', 'device-5e1f', T0, 1),
      contrib('ride-91bc', 'device-5e1f', T0, 2),
      contrib('ride-c0de', 'device-a4d2', T0 + HOUR, 3)
    ])
    const path = (store as DuckDbGridStore).path
    await store.close()
    // The dump does show pseudonyms before compaction, so its silence afterwards means something.
    const before = await dump(path)
    for (const p of pseudonyms) expect(before).toContain(p)
    store = await DuckDbGridStore.open(path)
    expect(await store.compactBefore('air', T0 + 2 * HOUR)).toBe(3)
    await store.close()
    const after = await dump(path)
    for (const p of pseudonyms) expect(after).not.toContain(p)
    store = await DuckDbGridStore.open(path)
    opened.push(store)
    expect(await store.cellAggregates(all)).toEqual([agg(T0, 2, 3, 1, 2, 2, 1), agg(T0 + HOUR, 1, 3, 3, 3, 1, 1)])
  })

  it('writes a batch all or nothing, and keeps working after a failed one', async () => {
    const store = await openFresh()
    opened.push(store)
    await store.writeContributions([contrib('r1', 'd1', T0, 1)])
    // A fractional start cannot be stored as BIGINT ms: the batch fails at its second row.
    await expect(store.writeContributions([
      contrib('r2', 'd2', T0, 2),
      contrib('r3', 'd3', T0 + 0.5, 3),
      contrib('r4', 'd4', T0, 4)
    ])).rejects.toThrow()
    expect(await store.cellAggregates(all)).toEqual([agg(T0, 1, 1, 1, 1, 1, 1)])
    // An untyped caller's kind that is no string fails at a row boundary, after whole rows.
    await expect(store.writeContributions([
      contrib('r2', 'd2', T0, 2),
      { ...contrib('r3', 'd3', T0, 3), kind: null as unknown as string }
    ])).rejects.toThrow()
    expect(await store.cellAggregates(all)).toEqual([agg(T0, 1, 1, 1, 1, 1, 1)])
    // The appender flushes every 204,800 rows (measured, 1.5.6), so a longer batch has rows in
    // staging by the time it fails; they must not ride along with the next write.
    const big = Array.from({ length: 205_000 }, (_, i) => contrib(`big${i}`, 'd9', i === 204_900 ? T0 + 0.5 : T0, 1))
    await expect(store.writeContributions(big)).rejects.toThrow()
    expect(await store.cellAggregates(all)).toEqual([agg(T0, 1, 1, 1, 1, 1, 1)])
    await store.writeContributions([contrib('r5', 'd1', T0, 5)])
    expect(await store.cellAggregates(all)).toEqual([agg(T0, 2, 6, 1, 5, 2, 1)])
  })

  it('keeps data written by many batches across several restarts', async () => {
    let store: GridStore = await openFresh()
    for (let round = 0; round < 3; round++) {
      await store.writeContributions(Array.from({ length: 100 }, (_, i) => contrib(`r${i}`, `d${i % 7}`, T0, round * 1000 + i)))
      store = await reopen(store)
    }
    opened.push(store)
    // Each round replaced the one before: 100 rides of the last round, on 7 devices.
    expect(await store.cellAggregates(all)).toEqual([agg(T0, 100, 100 * 2000 + 4950, 2000, 2099, 100, 7)])
  })
})

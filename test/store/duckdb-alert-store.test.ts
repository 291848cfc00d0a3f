import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DuckDBInstance } from '@duckdb/node-api'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { AlertEvent } from '../../core/alerts.js'
import type { AlertStore } from '../../core/ports/alert-store.js'
import { DuckDbAlertStore } from '../../store/duckdb-alert-store.js'
import { alertStoreConformance } from './alert-store.conformance.js'

let dir = ''
let files = 0

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sensorstad-alerts-'))
})

afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

/** A new, empty store file per test, so tests share nothing. */
const openFresh = (): Promise<DuckDbAlertStore> => DuckDbAlertStore.open(join(dir, `alerts-${++files}.duckdb`))

const reopen = async (store: AlertStore): Promise<AlertStore> => {
  if (!(store instanceof DuckDbAlertStore)) throw new TypeError('reopen needs a DuckDbAlertStore')
  await store.close()
  return DuckDbAlertStore.open(store.path)
}

alertStoreConformance('duckdb (file)', openFresh, reopen)

// No `reopen`: an in-memory database is gone once closed, so the restart tests are skipped.
alertStoreConformance('duckdb (:memory:)', () => DuckDbAlertStore.open(':memory:'))

describe('DuckDbAlertStore', () => {
  const T0 = Date.UTC(2024, 3, 27, 12)
  const event = (zoneId: string, time: string): Omit<AlertEvent, 'id'> => ({
    zoneId, type: 'level', level: 'busy', previousLevel: 'normal', count: 400, density: 0.55, threshold: 0.5, sensorIds: ['cam-1'], time, ack: null
  })
  const opened: AlertStore[] = []

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((s) => s.close()))
  })

  /** The rows of `alert_events` as stored, read with a plain DuckDB connection. */
  const rows = async (path: string): Promise<Array<Record<string, unknown>>> => {
    const instance = await DuckDBInstance.create(path)
    try {
      const conn = await instance.connect()
      const out = (await conn.runAndReadAll('SELECT id, zone_id, time, doc FROM alert_events ORDER BY id')).getRowObjectsJS()
      conn.closeSync()
      return out
    } finally {
      instance.closeSync()
    }
  }

  it('creates the parent folder of its file', async () => {
    const path = join(dir, 'nested', 'deeper', 'alerts.duckdb')
    const store = await DuckDbAlertStore.open(path)
    opened.push(store)
    await store.append(event('dam', new Date(T0).toISOString()))
    expect((await stat(path)).isFile()).toBe(true)
  })

  it('keeps id, zone and time columns equal to the event JSON in doc', async () => {
    const store = await openFresh()
    // A finer fraction than ms: the time column holds whole ms, the doc the text as given.
    await store.append(event("dam'; --", '2024-04-27T12:00:00.1239Z'))
    await store.append(event('spui', new Date(T0 + 1000).toISOString()))
    await store.acknowledge('2', { by: 'team', tokenId: 't1', at: new Date(T0).toISOString() })
    await store.close()
    const stored = await rows(store.path)
    expect(stored.map((r) => [r.id, r.zone_id, r.time])).toEqual([[1n, "dam'; --", BigInt(T0 + 123)], [2n, 'spui', BigInt(T0 + 1000)]])
    expect(stored.map((r) => JSON.parse(String(r.doc)))).toEqual([
      { id: '1', ...event("dam'; --", '2024-04-27T12:00:00.1239Z') },
      { id: '2', ...event('spui', new Date(T0 + 1000).toISOString()), ack: { by: 'team', tokenId: 't1', at: new Date(T0).toISOString() } }
    ])
  })

  it('keeps ids increasing across many restarts', async () => {
    let store: AlertStore = await openFresh()
    const issued: string[] = []
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 4; i++) issued.push((await store.append(event('dam', new Date(T0 + round).toISOString()))).id)
      store = await reopen(store)
    }
    opened.push(store)
    expect(issued).toEqual(['1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12'])
    expect(await store.deleteBefore(T0 + 2)).toBe(8)
    expect((await store.list({ ascending: true })).map((e) => e.id)).toEqual(['9', '10', '11', '12'])
  })
})

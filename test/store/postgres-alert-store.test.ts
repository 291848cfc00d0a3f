import { afterEach, describe, expect, it } from 'vitest'
import type { AlertEvent } from '../../core/alerts.js'
import type { AlertStore } from '../../core/ports/alert-store.js'
import { PostgresAlertStore } from '../../store/postgres-alert-store.js'
import { hasPostgres, postgresForSuite, psql, requirePostgresInCi } from '../helpers/postgres.js'
import { alertStoreConformance } from './alert-store.conformance.js'

/**
 * The alert conformance suite against a real PostgreSQL (Debian's binaries, a fresh cluster
 * on a free loopback port), plus what only a shared database shows: several processes' stores
 * on one database. Without PostgreSQL the file is skipped here and fails in CI, which installs it.
 */
requirePostgresInCi()
const run = hasPostgres ? describe : describe.skip

run('PostgreSQL alert store (real postgres)', () => {
  // One server for the file, a new database per store, so tests share nothing.
  const { server, createDatabase } = postgresForSuite()

  const openFresh = async (): Promise<PostgresAlertStore> => PostgresAlertStore.open(await createDatabase())

  const reopen = async (store: AlertStore): Promise<AlertStore> => {
    if (!(store instanceof PostgresAlertStore)) throw new TypeError('reopen needs a PostgresAlertStore')
    await store.close()
    return PostgresAlertStore.open(store.url)
  }

  alertStoreConformance('postgres', openFresh, reopen)

  describe('PostgresAlertStore', () => {
    const T0 = Date.UTC(2024, 3, 27, 12)
    const event = (zoneId: string, count = 400, timeMs = T0): Omit<AlertEvent, 'id'> => ({
      zoneId, type: 'level', level: 'busy', previousLevel: 'normal', count, density: 0.55, threshold: 0.5, sensorIds: ['cam-1'], time: new Date(timeMs).toISOString(), ack: null
    })
    const opened: AlertStore[] = []
    const open = async (url: string): Promise<PostgresAlertStore> => {
      const store = await PostgresAlertStore.open(url)
      opened.push(store)
      return store
    }

    afterEach(async () => {
      await Promise.all(opened.splice(0).map((s) => s.close()))
    })

    it('lets two stores on one database (two processes) see each other\'s events and acknowledgements', async () => {
      const url = await createDatabase()
      const [a, b] = await Promise.all([open(url), open(url)])
      await a.append(event('dam'))
      await b.append(event('spui'))
      expect((await a.list({ ascending: true })).map((e) => [e.id, e.zoneId])).toEqual([['1', 'dam'], ['2', 'spui']])
      expect(await b.get('1')).toEqual({ id: '1', ...event('dam') })
      const ackA = { by: 'team-noord', tokenId: 'tok-a', at: new Date(T0).toISOString() }
      const ackB = { by: 'team-zuid', tokenId: 'tok-b', at: new Date(T0).toISOString() }
      expect(await a.acknowledge('2', ackA)).toMatchObject({ id: '2', ack: ackA })
      expect(await b.acknowledge('2', ackB)).toMatchObject({ id: '2', ack: ackA })
      // Two processes acknowledging one event at once: one wins, and both answer with it.
      await b.append(event('dam'))
      const [fromA, fromB] = await Promise.all([a.acknowledge('3', ackA), b.acknowledge('3', ackB)])
      expect(fromA?.ack).toEqual(fromB?.ack)
      expect([ackA, ackB]).toContainEqual(fromA?.ack)
      expect((await a.get('3'))?.ack).toEqual(fromA?.ack)
      // Retention run by one process; the other issues the next id above every deleted one.
      expect(await a.deleteBefore(T0 + 1)).toBe(3)
      expect((await b.append(event('dam'))).id).toBe('4')
    })

    it('gives appends from three stores on one database unique ids, each store\'s increasing in call order', async () => {
      const url = await createDatabase()
      const stores = await Promise.all([open(url), open(url), open(url)])
      const perStore = 40
      const issued = await Promise.all(stores.map((s, n) =>
        Promise.all(Array.from({ length: perStore }, (_, i) => s.append(event(`zone-${n}`, i))))))
      for (const events of issued) {
        const ids = events.map((e) => Number(e.id))
        expect(ids).toEqual([...ids].sort((x, y) => x - y))
        expect(events.map((e) => e.count)).toEqual(Array.from({ length: perStore }, (_, i) => i))
      }
      const all = issued.flat().map((e) => Number(e.id)).sort((x, y) => x - y)
      expect(all).toEqual(Array.from({ length: 3 * perStore }, (_, i) => i + 1))
      expect((await stores[0]!.list({ limit: 1000 })).length).toBe(3 * perStore)
    })

    it('makes events visible in id order, so a client resuming after the last id it saw misses none', async () => {
      // What the SSE stream of an API process does with Last-Event-ID, while two other
      // processes append as fast as they can: every poll must continue exactly where the last
      // one ended, with no id that appears only later below one already seen.
      const url = await createDatabase()
      const [reader, w1, w2] = await Promise.all([open(url), open(url), open(url)])
      // A pause of up to 5 ms inside each insert, between taking an id and committing it,
      // widens the window in which another process could commit a higher id first.
      await psql(url, `CREATE FUNCTION pause_insert () RETURNS trigger LANGUAGE plpgsql AS $$
          BEGIN PERFORM pg_sleep(random() * 0.005); RETURN NEW; END $$;
        CREATE TRIGGER pause_insert BEFORE INSERT ON alert_events FOR EACH ROW EXECUTE FUNCTION pause_insert()`)
      const total = 300
      const state = { writing: true }
      const writes = Promise.all([w1, w2].map(async (w, n) => {
        for (let i = 0; i < total / 2; i += 5) {
          await Promise.all(Array.from({ length: 5 }, (_, j) => w.append(event(`zone-${n}`, i + j))))
        }
      })).finally(() => { state.writing = false })
      const seen: number[] = []
      const poll = async (): Promise<void> => {
        const after = seen.at(-1)
        const page = await reader.list({ ascending: true, limit: 1000, ...(after === undefined ? {} : { afterId: String(after) }) })
        seen.push(...page.map((e) => Number(e.id)))
      }
      const deadline = Date.now() + 30_000
      for (let polls = 0; state.writing && polls < 100_000 && Date.now() < deadline; polls++) await poll()
      await writes
      await poll()
      expect(seen).toEqual(Array.from({ length: total }, (_, i) => i + 1))
    }, 60_000)

    it('keeps ids increasing across restarts of several processes and retention that empties the table', async () => {
      const url = await createDatabase()
      const issued: string[] = []
      for (let round = 0; round < 3; round++) {
        const [a, b] = await Promise.all([PostgresAlertStore.open(url), PostgresAlertStore.open(url)])
        issued.push((await a.append(event('dam'))).id, (await b.append(event('dam'))).id)
        expect(await b.deleteBefore(T0 + 1)).toBe(2)
        await Promise.all([a.close(), b.close()])
      }
      expect(issued).toEqual(['1', '2', '3', '4', '5', '6'])
    })

    it('creates its tables once however many processes open it at once, and records the migration', async () => {
      const url = await createDatabase()
      const stores = await Promise.all(Array.from({ length: 6 }, () => open(url)))
      expect((await stores[5]!.append(event('dam'))).id).toBe('1')
      expect(await psql(url, 'SELECT component, version FROM schema_migrations')).toEqual([{ component: 'alerts', version: 1 }])
      // Zone and time repeated in columns that filters and retention use without parsing JSON.
      expect(await psql(url, 'SELECT id::int AS id, zone_id, time::float8 AS time, ack FROM alert_events'))
        .toEqual([{ id: 1, zone_id: 'dam', time: T0, ack: null }])
    })

    it('refuses a zone id PostgreSQL cannot store with STORE_ERR_REJECTED, and issues no id for it', async () => {
      const store = await open(await createDatabase())
      await expect(store.append(event('dam\u0000'))).rejects.toMatchObject({ code: 'STORE_ERR_REJECTED' })
      expect((await store.append(event('dam'))).id).toBe('1')
    })

    it('refuses to append rather than restart ids when its counter row was deleted by hand', async () => {
      const url = await createDatabase()
      const store = await open(url)
      await store.append(event('dam'))
      await psql(url, 'DELETE FROM alert_ids')
      await expect(store.append(event('dam'))).rejects.toMatchObject({ code: 'STORE_ERR_UNAVAILABLE' })
      expect((await store.list({})).map((e) => e.id)).toEqual(['1'])
    })

    it('answers STORE_ERR_UNAVAILABLE while the server is down, and works again once it is back', async () => {
      const store = await open(await createDatabase())
      await store.append(event('dam'))
      await server().stop()
      try {
        await expect(store.list({})).rejects.toMatchObject({ code: 'STORE_ERR_UNAVAILABLE' })
        await expect(store.append(event('dam'))).rejects.toMatchObject({ code: 'STORE_ERR_UNAVAILABLE' })
      } finally {
        await server().start()
      }
      expect((await store.append(event('dam'))).id).toBe('2')
      expect((await store.list({})).map((e) => e.id)).toEqual(['2', '1'])
    }, 60_000)
  })
})

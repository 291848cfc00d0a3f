import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TimeSeriesStore } from '../../core/ports/time-series-store.js'
import { InfluxTimeSeriesStore, type InfluxStoreOptions } from '../../store/influx-time-series-store.js'
import { hasInfluxd, requireInfluxdInCi, startInfluxd, type Influxd } from '../helpers/influxd.js'
import { timeSeriesStoreConformance } from './time-series-store.conformance.js'

/**
 * The same conformance suite as the embedded store, against a real InfluxDB 1.x server
 * (Debian's influxd on a free loopback port). Without influxd the suite is skipped here and
 * fails in CI, which installs it.
 */
requireInfluxdInCi()
const run = hasInfluxd ? describe : describe.skip

let server: Influxd | undefined
let databases = 0
const options = new Map<TimeSeriesStore, InfluxStoreOptions>()

async function openFresh (): Promise<TimeSeriesStore> {
  const opts: InfluxStoreOptions = { url: server!.url, database: `conformance_${process.pid}_${++databases}` }
  const store = await InfluxTimeSeriesStore.open(opts)
  options.set(store, opts)
  return store
}

async function reopen (store: TimeSeriesStore): Promise<TimeSeriesStore> {
  const opts = options.get(store)!
  await store.close()
  const again = await InfluxTimeSeriesStore.open(opts)
  options.set(again, opts)
  return again
}

run('InfluxDB (real influxd)', () => {
  beforeAll(async () => { server = await startInfluxd() }, 30_000)
  afterAll(async () => { await server?.destroy() })

  timeSeriesStoreConformance('influxdb 1.x', openFresh, reopen)

  describe('InfluxDB specifics', () => {
    const T0 = Date.now() - 3_600_000

    async function query (db: string, q: string): Promise<any> {
      const res = await fetch(`${server!.url}/query?${new URLSearchParams({ db, q })}`)
      return res.json()
    }

    it('keeps hostile sensor ids and fields inside one tag value: no new tag key', async () => {
      const store = await openFresh()
      const db = options.get(store)!.database
      const ids = ['A,zone2=B x=1', 'with space', 'new\nline', 'back\\slash\\', 'per%25cent', 'quote"\'']
      await store.writeReadings(ids.map((sensorId, i) => ({ sensorId, kind: 'air', field: 'pm25 x=2,y=3', time: T0 + i, value: i })))
      const keys = await query(db, 'SHOW TAG KEYS')
      const tagKeys = new Set<string>(keys.results[0].series.flatMap((s: { values: string[][] }) => s.values.map((v) => v[0])))
      expect([...tagKeys].sort()).toEqual(['field', 'kind', 'sensor'])
      const back = await store.readings({ from: T0, to: T0 + 1_000 })
      expect(back.map((r) => r.sensorId).sort()).toEqual([...ids].sort())
      expect(new Set(back.map((r) => r.field))).toEqual(new Set(['pm25 x=2,y=3']))
      await store.close()
    })

    it('creates a retention policy per kind with its retention, and aggregates in an infinite one', async () => {
      const opts: InfluxStoreOptions = { url: server!.url, database: `rp_${process.pid}`, retentionDays: new Map([['crowd', 7], ['wastebin', 90]]) }
      const store = await InfluxTimeSeriesStore.open(opts)
      const rps = await query(opts.database, 'SHOW RETENTION POLICIES')
      const durations = Object.fromEntries(rps.results[0].series[0].values.map((v: string[]) => [v[0], v[1]]))
      expect(durations).toMatchObject({ raw_crowd: '168h0m0s', raw_wastebin: '2160h0m0s', aggregates: '0s', raw: '0s' })
      await store.writeReadings([{ sensorId: 'c1', kind: 'crowd', field: 'peopleCount', time: T0, value: 12 }])
      const stored = await query(opts.database, 'SELECT "value" FROM "raw_crowd"."crowd"')
      // InfluxDB writes RFC 3339 with trailing zeros of the fraction dropped (.49Z for .490Z).
      expect(stored.results[0].series[0].values.map(([t, v]: [string, number]) => [Date.parse(t), v])).toEqual([[T0, 12]])
      // Opening again with a changed retention alters the policy.
      await store.close()
      const again = await InfluxTimeSeriesStore.open({ ...opts, retentionDays: new Map([['crowd', 3]]) })
      const after = await query(opts.database, 'SHOW RETENTION POLICIES')
      expect(Object.fromEntries(after.results[0].series[0].values.map((v: string[]) => [v[0], v[1]])).raw_crowd).toBe('72h0m0s')
      await again.close()
    })

    it('stores the good lines of a partial write once and reports the bad ones without failing', async () => {
      const rejected: Array<[number, string]> = []
      const opts: InfluxStoreOptions = { url: server!.url, database: `partial_${process.pid}`, retentionDays: new Map([['crowd', 1]]), onRejected: (n, reason) => rejected.push([n, reason]) }
      const store = await InfluxTimeSeriesStore.open(opts)
      // A reading older than the retention policy is refused by the server, the rest stored.
      await store.writeReadings([
        { sensorId: 'c1', kind: 'crowd', field: 'peopleCount', time: T0, value: 1 },
        { sensorId: 'c1', kind: 'crowd', field: 'peopleCount', time: T0 - 3 * 86_400_000, value: 2 }
      ])
      expect(rejected).toEqual([[1, expect.stringContaining('beyond retention policy')]])
      expect((await store.readings({ kind: 'crowd', from: 0, to: Date.now() })).map((r) => r.value)).toEqual([1])
      await store.close()
    })

    it('reports a request the server refuses as rejected (not to be retried)', async () => {
      // setup: false on a database nobody created, as on a 2.x server without its DBRP mapping.
      await expect(InfluxTimeSeriesStore.open({ url: server!.url, database: `missing_${process.pid}`, setup: false }))
        .rejects.toMatchObject({ code: 'STORE_ERR_REJECTED' })
    })

    it('reports a server that does not answer as unavailable (to be retried)', async () => {
      const store = await openFresh()
      const down = await InfluxTimeSeriesStore.open({ url: server!.url, database: options.get(store)!.database, setup: false })
      await server!.stop()
      try {
        await expect(down.writeReadings([{ sensorId: 's', kind: 'air', field: 'f', time: T0, value: 1 }])).rejects.toMatchObject({ code: 'STORE_ERR_UNAVAILABLE' })
        await expect(down.ping()).rejects.toThrow()
      } finally {
        await server!.start()
      }
      await store.close()
      await down.close()
    })
  })
})

import pino from 'pino'
import { Registry as MetricsRegistry } from 'prom-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp, type App } from '../../api/build-app.js'
import type { AppDeps } from '../../api/deps.js'
import type { SensorRegistration } from '../../core/sensor.js'
import { loadKinds } from '../../registry/kind-catalog.js'
import { MemoryRegistryStore } from '../../registry/memory-registry-store.js'
import { PostgresRegistryStore } from '../../registry/postgres-registry-store.js'
import { Registry } from '../../registry/registry.js'
import { MemoryTimeSeriesStore } from '../../store/memory-time-series-store.js'
import { hasPostgres, requirePostgresInCi, startPostgres, type Postgres } from '../helpers/postgres.js'

/**
 * The SensorThings catalogue is kept between requests (api/sta/catalogue-cache.ts) but never
 * outlives a change of the register: a sensor registered, suspended or placed in a zone, here
 * or (over PostgreSQL) by another process, shows in the next answer.
 */
const kinds = loadKinds()
const bin = (id: string, extra: Partial<SensorRegistration> = {}): SensorRegistration => ({
  id, kind: 'wastebin', name: `Container ${id}`, owner: 'Gemeente Utrecht', purpose: 'Empty containers when full', legalBasis: 'Public task', dpiaRef: 'DPIA-1', processesPersonalData: false, public: true, location: { lat: 52.09, lon: 5.12 }, ...extra
})

async function staApp (registry: Registry): Promise<App> {
  const deps: Pick<AppDeps, 'registry' | 'store' | 'metrics' | 'logger'> = { registry, store: new MemoryTimeSeriesStore(), metrics: new MetricsRegistry(), logger: pino({ level: 'silent' }) }
  return buildApp(deps as AppDeps, { topicRoot: 'utrecht/v1' })
}

async function things (app: App): Promise<Map<string, { status: string }>> {
  const res = await app.inject({ method: 'GET', url: '/sta/v1.1/Things?$top=1000' })
  expect(res.statusCode, res.body).toBe(200)
  return new Map((res.json().value as Array<{ '@iot.id': string, properties: { status: string } }>).map((t) => [t['@iot.id'], t.properties]))
}

describe('SensorThings catalogue cache, one process', () => {
  let registry: Registry
  let app: App

  beforeAll(async () => {
    registry = await Registry.open(new MemoryRegistryStore(), kinds)
    await registry.registerSensor(bin('bin-1'))
    app = await staApp(registry)
  })
  afterAll(async () => { await app.close() })

  it('shows a sensor registered after the catalogue was built, at once', async () => {
    expect([...(await things(app)).keys()]).toEqual(['wastebin:bin-1'])
    await registry.registerSensor(bin('bin-2'))
    expect([...(await things(app)).keys()]).toEqual(['wastebin:bin-1', 'wastebin:bin-2'])
  })

  it('shows a suspension at once', async () => {
    expect((await things(app)).get('wastebin:bin-1')?.status).toBe('active')
    await registry.setSensorStatus('bin-1', 'suspended')
    expect((await things(app)).get('wastebin:bin-1')?.status).toBe('suspended')
  })

  it('stops listening to the register when the app closes', async () => {
    const other = await staApp(registry)
    const listening = registry.listenerCount('changed')
    await other.close()
    expect(registry.listenerCount('changed')).toBe(listening - 1)
  })
})

requirePostgresInCi()

describe.skipIf(!hasPostgres)('SensorThings catalogue cache, two processes over PostgreSQL', () => {
  let postgres: Postgres
  const stores: PostgresRegistryStore[] = []
  const registries: Registry[] = []
  let app: App | undefined

  beforeAll(async () => {
    postgres = await startPostgres()
  }, 60_000)
  afterAll(async () => {
    await app?.close()
    for (const r of registries) await r.close()
    for (const s of stores) await s.close()
    await postgres?.stop()
  })

  it('shows a sensor another process registered once the change reaches this one', async () => {
    const url = await postgres.createDatabase('sta_cache')
    for (let i = 0; i < 2; i++) {
      const store = await PostgresRegistryStore.open(url, { reconnectMinMs: 50, reconnectMaxMs: 500 })
      stores.push(store)
      registries.push(await Registry.open(store, kinds))
    }
    const [a, b] = registries as [Registry, Registry]
    app = await staApp(b)
    expect((await things(app)).size).toBe(0)
    await a.registerSensor(bin('bin-elsewhere'))
    // The bound for a change to reach every process is one second.
    const deadline = Date.now() + 2_000
    let ids: string[] = []
    while (Date.now() < deadline) {
      ids = [...(await things(app)).keys()]
      if (ids.length > 0) break
      await new Promise((resolve) => setTimeout(resolve, 25))
    }
    expect(ids).toEqual(['wastebin:bin-elsewhere'])
  })
})

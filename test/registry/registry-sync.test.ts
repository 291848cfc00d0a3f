import pg from 'pg'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { SensorRegistration, ZoneInput } from '../../core/sensor.js'
import { loadKinds } from '../../registry/kind-catalog.js'
import { PostgresRegistryStore, type PostgresRegistryStoreOptions } from '../../registry/postgres-registry-store.js'
import { Registry } from '../../registry/registry.js'
import { hasPostgres, psql, requirePostgresInCi, startPostgres, type Postgres } from '../helpers/postgres.js'

/**
 * Two processes' registries over one PostgreSQL register (each its own store, pool and
 * listener, as two processes would have): what the admin API does on A reaches B's
 * authentication decisions within a second, including across a lost listener connection
 * and a restart of the server.
 */
requirePostgresInCi()

const kinds = loadKinds()
/** What the issue asks: a change on one process reaches every other within a second. */
const WITHIN_MS = 1_000

const bin = (id: string): SensorRegistration => ({
  id,
  kind: 'wastebin',
  name: `Container ${id}`,
  owner: 'Gemeente Utrecht',
  purpose: 'Empty containers when full',
  legalBasis: 'Public task (AVG art. 6.1e)',
  dpiaRef: 'DPIA-TEST-1',
  processesPersonalData: false,
  public: true,
  location: { lat: 52.09, lon: 5.12 }
})

interface Process {
  store: PostgresRegistryStore
  registry: Registry
  revoked: string[]
  errors: Error[]
}

describe.skipIf(!hasPostgres)('Registry over PostgreSQL, two processes', () => {
  let postgres: Postgres
  let url: string
  const opened: Process[] = []
  let a: Process
  let b: Process

  /** `name` becomes the application_name of the process's connections, to tell them apart. */
  const open = async (options: PostgresRegistryStoreOptions = {}, name?: string): Promise<Process> => {
    const errors: Error[] = []
    const store = await PostgresRegistryStore.open(name === undefined ? url : `${url}?application_name=${name}`, { reconnectMinMs: 50, reconnectMaxMs: 500, ...options, onError: (err) => errors.push(err) })
    const registry = await Registry.open(store, kinds)
    const revoked: string[] = []
    registry.on('sensor-revoked', (id) => revoked.push(id))
    const process = { store, registry, revoked, errors }
    opened.push(process)
    return process
  }

  /** The backend pids of this database's change listeners (of one named process), as PostgreSQL sees them. */
  const listeners = async (name = 'sensorstad-registry-listener'): Promise<number[]> => {
    const rows = await psql<{ pid: number }>(url,
      "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1 AND query LIKE 'LISTEN%'", [name])
    return rows.map((row) => row.pid)
  }

  beforeAll(async () => { postgres = await startPostgres() }, 60_000)
  afterAll(async () => { await postgres?.destroy() })

  beforeEach(async () => {
    url = await postgres.createDatabase()
    a = await open()
    b = await open()
    // Both listening, so a test times propagation, not start-up.
    await expect.poll(() => listeners(), { timeout: 5_000 }).toHaveLength(2)
  })

  afterEach(async () => {
    for (const { registry, store } of opened.splice(0)) {
      await registry.close()
      await store.close()
    }
  })

  it('a sensor registered on A authenticates on B within a second', async () => {
    const { secret } = await a.registry.registerSensor(bin('bin-1'))
    await expect.poll(() => b.registry.authenticateSensor('bin-1', secret), { timeout: WITHIN_MS, interval: 10 })
      .toMatchObject({ id: 'bin-1', status: 'active' })
    expect(b.registry.listSensors().map((s) => s.id)).toStrictEqual(['bin-1'])
    expect(await b.registry.authenticateSensor('bin-1', 'not-the-secret')).toBeUndefined()
    expect(b.revoked).toStrictEqual([])
  })

  it('suspending on A makes B emit sensor-revoked once and refuse the sensor, cached secret or not', async () => {
    const { secret } = await a.registry.registerSensor(bin('bin-1'))
    // B has verified and cached the secret, as for a connected sensor.
    await expect.poll(() => b.registry.authenticateSensor('bin-1', secret), { timeout: WITHIN_MS, interval: 10 }).toBeDefined()
    await a.registry.setSensorStatus('bin-1', 'suspended')
    await expect.poll(() => b.revoked, { timeout: WITHIN_MS, interval: 5 }).toStrictEqual(['bin-1'])
    expect(await b.registry.authenticateSensor('bin-1', secret)).toBeUndefined()
    expect(b.registry.getSensor('bin-1')?.status).toBe('suspended')
    // A's own write, heard back, is applied again without a second revocation anywhere.
    await a.registry.setSensorStatus('bin-1', 'active')
    await expect.poll(() => b.registry.authenticateSensor('bin-1', secret), { timeout: WITHIN_MS, interval: 10 }).toBeDefined()
    expect(a.revoked).toStrictEqual(['bin-1'])
    expect(b.revoked).toStrictEqual(['bin-1'])
  })

  it('rotating on A makes the old secret fail on B, even cached, and the new one work', async () => {
    const { secret: old } = await a.registry.registerSensor(bin('bin-1'))
    await expect.poll(() => b.registry.authenticateSensor('bin-1', old), { timeout: WITHIN_MS, interval: 10 }).toBeDefined()
    const fresh = await a.registry.rotateSecret('bin-1')
    await expect.poll(() => b.revoked, { timeout: WITHIN_MS, interval: 5 }).toStrictEqual(['bin-1'])
    expect(await b.registry.authenticateSensor('bin-1', old)).toBeUndefined()
    expect(await b.registry.authenticateSensor('bin-1', fresh)).toMatchObject({ id: 'bin-1' })
    expect(a.revoked).toStrictEqual(['bin-1'])
  })

  it('a zone added or replaced on A is listed on B, and a token made on A works on B', async () => {
    const square: ZoneInput['geometry'] = { type: 'Polygon', coordinates: [[[5.12, 52.09], [5.121, 52.09], [5.121, 52.091], [5.12, 52.09]]] }
    await a.registry.putZone({ id: 'neude', name: 'Neude', geometry: square })
    await expect.poll(() => b.registry.listZones().map((z) => z.name), { timeout: WITHIN_MS, interval: 10 }).toStrictEqual(['Neude'])
    await a.registry.putZone({ id: 'neude', name: 'Neude (plein)', geometry: square, capacity: 2000 })
    await expect.poll(() => b.registry.getZone('neude')?.capacity, { timeout: WITHIN_MS, interval: 10 }).toBe(2000)
    // A crowd monitor may be registered on B in a zone made on A.
    await expect(b.registry.registerSensor({ ...bin('crowd-1'), kind: 'crowd', zoneId: 'neude', location: undefined })).resolves.toBeDefined()
    const { token } = await a.registry.createToken('enforcement', 'handhaving')
    await expect.poll(() => b.registry.authenticateToken(token), { timeout: WITHIN_MS, interval: 10 }).toMatchObject({ role: 'enforcement' })
  })

  it('a burst of 300 zones written on A is all on B within a second of the last write', async () => {
    const square: ZoneInput['geometry'] = { type: 'Polygon', coordinates: [[[5.12, 52.09], [5.121, 52.09], [5.121, 52.091], [5.12, 52.09]]] }
    await Promise.all(Array.from({ length: 300 }, (_, i) => a.registry.putZone({ id: `z-${String(i).padStart(3, '0')}`, name: `Zone ${i}`, geometry: square })))
    await expect.poll(() => b.registry.listZones().length, { timeout: WITHIN_MS, interval: 10 }).toBe(300)
    expect(b.registry.listZones()).toStrictEqual(a.registry.listZones())
  })

  it('stops following once closed', async () => {
    await b.registry.close()
    const { secret } = await a.registry.registerSensor(bin('bin-1'))
    // A third process shows the change did go out; B, closed, does not take it.
    const c = await open()
    await expect.poll(() => c.registry.authenticateSensor('bin-1', secret), { timeout: WITHIN_MS, interval: 10 }).toBeDefined()
    await a.registry.setSensorStatus('bin-1', 'suspended')
    await expect.poll(() => c.revoked, { timeout: WITHIN_MS, interval: 10 }).toStrictEqual(['bin-1'])
    expect(b.registry.getSensor('bin-1')).toBeUndefined()
    expect(b.revoked).toStrictEqual([])
  })

  it('catches up on a change made while its listener was disconnected', async () => {
    const slow = await open({ reconnectMinMs: 1_000, reconnectMaxMs: 1_000 }, 'slow')
    await expect.poll(() => listeners('slow'), { timeout: 5_000 }).toHaveLength(1)
    const { secret } = await a.registry.registerSensor(bin('bin-1'))
    await expect.poll(() => slow.registry.authenticateSensor('bin-1', secret), { timeout: WITHIN_MS, interval: 10 }).toBeDefined()
    const before = await listeners('slow')
    const admin = new pg.Client({ connectionString: url })
    await admin.connect()
    try {
      for (const pid of before) await admin.query('SELECT pg_terminate_backend($1)', [pid])
    } finally {
      await admin.end()
    }
    await expect.poll(() => listeners('slow'), { timeout: 2_000, interval: 5 }).toHaveLength(0)
    await a.registry.setSensorStatus('bin-1', 'suspended')
    // The notification went out while the slow process did not listen (it waits at least
    // 500 ms to reconnect): only the reload on reconnect can bring the suspension over.
    expect(await listeners('slow')).toHaveLength(0)
    await expect.poll(() => b.revoked, { timeout: WITHIN_MS, interval: 5 }).toStrictEqual(['bin-1'])
    expect(slow.revoked).toStrictEqual([])
    await expect.poll(() => slow.revoked, { timeout: 3_000, interval: 10 }).toStrictEqual(['bin-1'])
    expect(await slow.registry.authenticateSensor('bin-1', secret)).toBeUndefined()
    expect(slow.errors.length).toBeGreaterThan(0)
  })

  it('recovers from a restart of the PostgreSQL server: a change after it still propagates', async () => {
    const { secret } = await a.registry.registerSensor(bin('bin-1'))
    await expect.poll(() => b.registry.authenticateSensor('bin-1', secret), { timeout: WITHIN_MS, interval: 10 }).toBeDefined()
    await postgres.stop()
    // While the server is away, a change is refused with a 503 the admin may retry, and the
    // register in memory stays as the database has it.
    await expect(a.registry.setSensorStatus('bin-1', 'suspended')).rejects.toMatchObject({ code: 'STORE_ERR_UNAVAILABLE' })
    expect(a.registry.getSensor('bin-1')?.status).toBe('active')
    await postgres.start()
    // A's pool drops the connections the server closed and opens new ones on the next write.
    await a.registry.setSensorStatus('bin-1', 'suspended')
    await expect.poll(() => b.revoked, { timeout: 5_000, interval: 10 }).toStrictEqual(['bin-1'])
    expect(await b.registry.authenticateSensor('bin-1', secret)).toBeUndefined()
    // Listening again, not merely reloaded once: the next change arrives within the second.
    await expect.poll(() => listeners(), { timeout: 5_000 }).toHaveLength(2)
    const { secret: second } = await a.registry.registerSensor(bin('bin-2'))
    await expect.poll(() => b.registry.authenticateSensor('bin-2', second), { timeout: WITHIN_MS, interval: 10 }).toBeDefined()
    expect(b.errors.length).toBeGreaterThan(0)
  }, 30_000)

  it('follows an entry removed by hand in psql: the sensor is forgotten and revoked', async () => {
    const { secret } = await a.registry.registerSensor(bin('bin-1'))
    await expect.poll(() => b.registry.authenticateSensor('bin-1', secret), { timeout: WITHIN_MS, interval: 10 }).toBeDefined()
    const admin = new pg.Client({ connectionString: url })
    await admin.connect()
    try {
      await admin.query('DELETE FROM registry.sensors WHERE id = $1', ['bin-1'])
    } finally {
      await admin.end()
    }
    await expect.poll(() => b.revoked, { timeout: WITHIN_MS, interval: 5 }).toStrictEqual(['bin-1'])
    expect(b.registry.getSensor('bin-1')).toBeUndefined()
    expect(await b.registry.authenticateSensor('bin-1', secret)).toBeUndefined()
  })
})

import { beforeEach, describe, expect, it } from 'vitest'
import { isSensorstadError, type ErrorCode, type SensorstadError } from '../../core/errors.js'
import type { SensorRegistration, ZoneInput } from '../../core/sensor.js'
import { MemoryRegistryStore } from '../../registry/memory-registry-store.js'
import { Registry } from '../../registry/registry.js'
import { verifySecret } from '../../registry/secrets.js'
import { kinds, now, openRegistry, resetClock, tamper, tick } from './registry-harness.js'

/** About 100 m x 100 m at 52.09 N: 100 m is 0.000899 degrees of latitude, 0.001464 of longitude. */
const LAT0 = 52.09
const LON0 = 5.12
const DLAT = 100 / (6_371_008.8 * Math.PI / 180)
const DLON = DLAT / Math.cos(LAT0 * Math.PI / 180)

const square: ZoneInput = {
  id: 'neude',
  name: 'Neude',
  geometry: {
    type: 'Polygon',
    coordinates: [[[LON0, LAT0], [LON0 + DLON, LAT0], [LON0 + DLON, LAT0 + DLAT], [LON0, LAT0 + DLAT], [LON0, LAT0]]]
  },
  capacity: 2000
}

function registration (kind: string, extra: Partial<SensorRegistration> = {}): SensorRegistration {
  return {
    kind,
    name: `Test ${kind}`,
    owner: 'Gemeente Utrecht',
    purpose: 'Testing the register',
    legalBasis: 'Public task (AVG art. 6.1e)',
    dpiaRef: 'DPIA-TEST-1',
    processesPersonalData: false,
    public: true,
    ...extra
  }
}

const atNeude = { location: { lat: LAT0, lon: LON0 } }

/** The SensorstadError `promise` rejects with; fails the test if it resolves or rejects otherwise. */
async function rejection (promise: Promise<unknown>): Promise<SensorstadError> {
  try {
    await promise
  } catch (err) {
    if (isSensorstadError(err)) return err
    throw err
  }
  throw new Error('expected a SensorstadError, but the promise resolved')
}

describe('Registry', () => {
  let store: MemoryRegistryStore
  let registry: Registry
  let revoked: string[]

  const open = (bootstrapAdminToken?: string): Promise<Registry> => openRegistry(store, revoked, bootstrapAdminToken)

  beforeEach(async () => {
    resetClock()
    store = new MemoryRegistryStore()
    revoked = []
    registry = await open()
  })

  describe('registering a sensor', () => {
    it('stores the sensor with defaults and returns a secret that authenticates it', async () => {
      const input = registration('wastebin', { id: 'bin-1', ...atNeude })
      const { sensor, secret } = await registry.registerSensor(input)
      const expected = { ...input, id: 'bin-1', retentionDays: 90, status: 'active', createdAt: '2024-06-01T12:00:00.000Z', updatedAt: '2024-06-01T12:00:00.000Z' }
      expect(sensor).toStrictEqual(expected)
      expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/)
      expect(registry.getSensor('bin-1')).toStrictEqual(expected)
      expect(registry.listSensors()).toStrictEqual([expected])
      expect((await store.load()).sensors).toStrictEqual([expected])
      expect(await registry.authenticateSensor('bin-1', secret)).toStrictEqual(expected)
    })

    it('stores only an scrypt hash of the secret', async () => {
      const { secret } = await registry.registerSensor(registration('wastebin', { id: 'bin-1', ...atNeude }))
      const { credentials } = await store.load()
      expect(credentials).toHaveLength(1)
      const [credential] = credentials
      expect(credential!.sensorId).toBe('bin-1')
      expect(credential!.rotatedAt).toBe('2024-06-01T12:00:00.000Z')
      expect(credential!.secretHash).toMatch(/^scrypt\$/)
      expect(credential!.secretHash).not.toContain(secret)
      expect(JSON.stringify(await store.load())).not.toContain(secret)
      expect(await verifySecret(secret, credential!.secretHash)).toBe(true)
    })

    it('keeps the retention asked for when it is within the kind\'s', async () => {
      const { sensor } = await registry.registerSensor(registration('wastebin', { ...atNeude, retentionDays: 30 }))
      expect(sensor.retentionDays).toBe(30)
      const bike = await registry.registerSensor(registration('snuffelfiets'))
      expect(bike.sensor.retentionDays).toBe(1)
    })

    it('generates ids of the form <kind>-<12 hex>, each different', async () => {
      const a = await registry.registerSensor(registration('wastebin', atNeude))
      const b = await registry.registerSensor(registration('wastebin', atNeude))
      const c = await registry.registerSensor(registration('snuffelfiets'))
      expect(a.sensor.id).toMatch(/^wastebin-[0-9a-f]{12}$/)
      expect(b.sensor.id).toMatch(/^wastebin-[0-9a-f]{12}$/)
      expect(c.sensor.id).toMatch(/^snuffelfiets-[0-9a-f]{12}$/)
      expect(a.sensor.id).not.toBe(b.sensor.id)
      expect(await registry.authenticateSensor(b.sensor.id, b.secret)).toBeDefined()
    })

    it('accepts a fixed sensor placed by zone only, and a crowd monitor in a zone', async () => {
      await registry.putZone(square)
      const bin = await registry.registerSensor(registration('wastebin', { zoneId: 'neude' }))
      const crowd = await registry.registerSensor(registration('crowd', { zoneId: 'neude' }))
      expect(bin.sensor.zoneId).toBe('neude')
      expect(crowd.sensor).toMatchObject({ kind: 'crowd', zoneId: 'neude', retentionDays: 7 })
    })

    it('survives a restart: a new Registry over the same store knows the sensor and its secret', async () => {
      const { sensor, secret } = await registry.registerSensor(registration('wastebin', { id: 'bin-1', ...atNeude }))
      const restarted = await open()
      expect(restarted.getSensor('bin-1')).toStrictEqual(sensor)
      expect(await restarted.authenticateSensor('bin-1', secret)).toStrictEqual(sensor)
    })

    const refusals: Array<[string, () => Promise<unknown>, ErrorCode, string]> = [
      ['an unknown kind', () => registry.registerSensor(registration('radar', atNeude)), 'REGISTRY_ERR_UNKNOWN_KIND', 'kind'],
      ['an unknown zone', () => registry.registerSensor(registration('wastebin', { zoneId: 'nowhere' })), 'REGISTRY_ERR_UNKNOWN_ZONE', 'zoneId'],
      ['a crowd monitor without a zone, even with a location', () => registry.registerSensor(registration('crowd', atNeude)), 'REGISTRY_ERR_INCOMPLETE', 'zoneId'],
      ['a fixed sensor with neither location nor zone', () => registry.registerSensor(registration('wastebin')), 'REGISTRY_ERR_INCOMPLETE', 'location'],
      ['a mobile sensor with a location', () => registry.registerSensor(registration('snuffelfiets', atNeude)), 'REGISTRY_ERR_INCOMPLETE', 'location'],
      ['a retention above the kind\'s', () => registry.registerSensor(registration('crowd', { zoneId: 'neude', retentionDays: 8 })), 'REGISTRY_ERR_INCOMPLETE', 'retentionDays']
    ]

    it.each(refusals)('refuses %s, storing nothing', async (_, register, code, field) => {
      await registry.putZone(square)
      const err = await rejection(register())
      expect(err.code).toBe(code)
      expect(err.field).toBe(field)
      expect(registry.listSensors()).toStrictEqual([])
      const { sensors, credentials } = await store.load()
      expect(sensors).toStrictEqual([])
      expect(credentials).toStrictEqual([])
    })

    it('refuses a duplicate id and leaves the first sensor and its secret alone', async () => {
      const first = await registry.registerSensor(registration('wastebin', { id: 'bin-1', ...atNeude }))
      const err = await rejection(registry.registerSensor(registration('snuffelfiets', { id: 'bin-1' })))
      expect(err.code).toBe('REGISTRY_ERR_CONFLICT')
      expect(err.field).toBe('id')
      expect(registry.getSensor('bin-1')).toStrictEqual(first.sensor)
      expect(await registry.authenticateSensor('bin-1', first.secret)).toStrictEqual(first.sensor)
    })

    it('refuses the second of two concurrent registrations of one id', async () => {
      const input = registration('wastebin', { id: 'bin-1', ...atNeude })
      const results = await Promise.allSettled([registry.registerSensor(input), registry.registerSensor(input)])
      const fulfilled = results.flatMap((r) => r.status === 'fulfilled' ? [r.value] : [])
      const rejected = results.flatMap((r) => r.status === 'rejected' ? [r.reason as SensorstadError] : [])
      expect(fulfilled).toHaveLength(1)
      expect(rejected.map((e) => e.code)).toStrictEqual(['REGISTRY_ERR_CONFLICT'])
      expect(await registry.authenticateSensor('bin-1', fulfilled[0]!.secret)).toBeDefined()
      const { credentials } = await store.load()
      expect(await verifySecret(fulfilled[0]!.secret, credentials[0]!.secretHash)).toBe(true)
    })

    it('frees the id of a registration that failed to store', async () => {
      const failing = new MemoryRegistryStore()
      let fail = true
      failing.putCredential = async (credential) => {
        if (fail) throw new Error('disk full')
        return MemoryRegistryStore.prototype.putCredential.call(failing, credential)
      }
      const r = await Registry.open(failing, kinds, { now })
      const input = registration('wastebin', { id: 'bin-1', ...atNeude })
      await expect(r.registerSensor(input)).rejects.toThrow('disk full')
      expect(r.getSensor('bin-1')).toBeUndefined()
      fail = false
      const { sensor } = await r.registerSensor(input)
      expect(sensor.id).toBe('bin-1')
    })
  })

  describe('authenticating a sensor', () => {
    let secret = ''

    beforeEach(async () => {
      ({ secret } = await registry.registerSensor(registration('wastebin', { id: 'bin-1', ...atNeude })))
    })

    it('refuses a wrong secret, an unknown id, and another sensor\'s id', async () => {
      const other = await registry.registerSensor(registration('wastebin', { id: 'bin-2', ...atNeude }))
      expect(await registry.authenticateSensor('bin-1', tamper(secret))).toBeUndefined()
      expect(await registry.authenticateSensor('bin-1', '')).toBeUndefined()
      expect(await registry.authenticateSensor('bin-9', secret)).toBeUndefined()
      expect(await registry.authenticateSensor('bin-2', secret)).toBeUndefined()
      expect(await registry.authenticateSensor('bin-1', other.secret)).toBeUndefined()
      expect((await registry.authenticateSensor('bin-1', secret))?.id).toBe('bin-1')
    })

    it('refuses a wrong secret after the right one was verified and cached', async () => {
      expect(await registry.authenticateSensor('bin-1', secret)).toBeDefined()
      expect(await registry.authenticateSensor('bin-1', secret)).toBeDefined()
      expect(await registry.authenticateSensor('bin-1', tamper(secret))).toBeUndefined()
    })

    it('rotating invalidates the old secret, even a cached one, and revokes the sensor', async () => {
      expect(await registry.authenticateSensor('bin-1', secret)).toBeDefined()
      expect(await registry.authenticateSensor('bin-1', secret)).toBeDefined()
      const rotatedAt = tick()
      const fresh = await registry.rotateSecret('bin-1')
      expect(fresh).toMatch(/^[A-Za-z0-9_-]{43}$/)
      expect(fresh).not.toBe(secret)
      expect(revoked).toStrictEqual(['bin-1'])
      expect(await registry.authenticateSensor('bin-1', secret)).toBeUndefined()
      expect((await registry.authenticateSensor('bin-1', fresh))?.id).toBe('bin-1')
      const { credentials } = await store.load()
      expect(credentials).toHaveLength(1)
      expect(credentials[0]!.rotatedAt).toBe(rotatedAt)
      expect(await verifySecret(fresh, credentials[0]!.secretHash)).toBe(true)
      expect(await verifySecret(secret, credentials[0]!.secretHash)).toBe(false)
    })

    it('a verification of the old secret that ends after a rotation took effect fails', async () => {
      // Hold the rotation at its write, start verifying the old secret (scrypt, ~40 ms), then
      // let the rotation finish: it takes effect long before that scrypt returns.
      let release = (): void => {}
      let reached = (): void => {}
      const atWrite = new Promise<void>((resolve) => { reached = resolve })
      const put = store.putCredential.bind(store)
      store.putCredential = async (credential) => {
        reached()
        await new Promise<void>((resolve) => { release = resolve })
        return put(credential)
      }
      const rotation = registry.rotateSecret('bin-1')
      await atWrite
      const pending = registry.authenticateSensor('bin-1', secret)
      release()
      const fresh = await rotation
      expect(await pending).toBeUndefined()
      expect(await registry.authenticateSensor('bin-1', secret)).toBeUndefined()
      expect((await registry.authenticateSensor('bin-1', fresh))?.id).toBe('bin-1')
    })

    it('suspending refuses even a cached secret and revokes the sensor; resuming lets it back in', async () => {
      expect(await registry.authenticateSensor('bin-1', secret)).toBeDefined()
      const suspendedAt = tick()
      const suspended = await registry.setSensorStatus('bin-1', 'suspended')
      expect(suspended).toMatchObject({ id: 'bin-1', status: 'suspended', updatedAt: suspendedAt, createdAt: '2024-06-01T12:00:00.000Z' })
      expect(revoked).toStrictEqual(['bin-1'])
      expect(await registry.authenticateSensor('bin-1', secret)).toBeUndefined()
      expect((await store.load()).sensors[0]!.status).toBe('suspended')

      const resumedAt = tick()
      const resumed = await registry.setSensorStatus('bin-1', 'active')
      expect(resumed).toMatchObject({ status: 'active', updatedAt: resumedAt })
      expect(revoked).toStrictEqual(['bin-1'])
      expect(await registry.authenticateSensor('bin-1', secret)).toStrictEqual(resumed)
    })

    it('suspending during a verification makes that verification fail', async () => {
      const pending = registry.authenticateSensor('bin-1', secret)
      await registry.setSensorStatus('bin-1', 'suspended')
      expect(await pending).toBeUndefined()
    })

    it('a suspended sensor stays refused after a restart', async () => {
      await registry.setSensorStatus('bin-1', 'suspended')
      const restarted = await open()
      expect(await restarted.authenticateSensor('bin-1', secret)).toBeUndefined()
    })

    it('rotating or suspending an unknown sensor is REGISTRY_ERR_NOT_FOUND', async () => {
      expect((await rejection(registry.rotateSecret('bin-9'))).code).toBe('REGISTRY_ERR_NOT_FOUND')
      expect((await rejection(registry.setSensorStatus('bin-9', 'suspended'))).code).toBe('REGISTRY_ERR_NOT_FOUND')
      expect(revoked).toStrictEqual([])
    })
  })

  describe('zones', () => {
    it('computes areaM2 from the polygon when it is not given', async () => {
      const { zone, created } = await registry.putZone(square)
      expect(created).toBe(true)
      expect(Math.abs(zone.areaM2 - 10_000) / 10_000).toBeLessThan(0.005)
      expect(zone).toStrictEqual({ ...square, areaM2: zone.areaM2, createdAt: '2024-06-01T12:00:00.000Z', updatedAt: '2024-06-01T12:00:00.000Z' })
      expect((await store.load()).zones).toStrictEqual([zone])
    })

    it('keeps areaM2 when it is given (the walkable part of the polygon)', async () => {
      const { zone } = await registry.putZone({ ...square, areaM2: 6_250 })
      expect(zone.areaM2).toBe(6_250)
      expect(registry.getZone('neude')?.areaM2).toBe(6_250)
    })

    it('replaces a zone: created is false, createdAt is kept, updatedAt moves on', async () => {
      await registry.putZone(square)
      const updatedAt = tick()
      const { zone, created } = await registry.putZone({ ...square, name: 'Neude (plein)', areaM2: 8_000 })
      expect(created).toBe(false)
      expect(zone).toMatchObject({ name: 'Neude (plein)', areaM2: 8_000, createdAt: '2024-06-01T12:00:00.000Z', updatedAt })
      expect(registry.listZones()).toStrictEqual([zone])
      expect((await store.load()).zones).toStrictEqual([zone])
    })

    it('lists zones by id', async () => {
      await registry.putZone({ ...square, id: 'vredenburg' })
      await registry.putZone(square)
      expect(registry.listZones().map((z) => z.id)).toStrictEqual(['neude', 'vredenburg'])
    })
  })
})

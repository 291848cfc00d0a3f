import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { RegistrySnapshot, RegistryStore } from '../../core/ports/registry-store.js'
import type { ApiToken, Sensor, SensorCredential, Zone } from '../../core/sensor.js'

/**
 * The behaviour every `RegistryStore` must show (the port in core/ports/registry-store.ts),
 * in the manner of aedes-persistence's `abstract.js`: each implementation's test file calls
 * this with a factory. `open` must give an empty store each time. `reopen`, for stores that
 * persist, closes the given store and opens a new one over the same data; without it the
 * restart tests are skipped, since a store that keeps nothing cannot be restarted.
 */
export function registryStoreConformance (
  name: string,
  open: () => Promise<RegistryStore>,
  reopen?: (store: RegistryStore) => Promise<RegistryStore>
): void {
  const T1 = '2024-03-10T09:00:00.000Z'
  const T2 = '2024-03-11T17:30:00.000Z'

  /** Every optional field present. */
  const fullSensor: Sensor = {
    id: 'bin-full',
    kind: 'wastebin',
    name: 'Container Oudegracht 12',
    owner: 'Gemeente Utrecht',
    contact: 'afval@utrecht.example',
    purpose: 'Empty containers when full',
    legalBasis: 'Public task (AVG art. 6.1e)',
    retentionDays: 365,
    dpiaRef: 'DPIA-2024-7',
    processesPersonalData: false,
    public: true,
    location: { lat: 52.090123456789, lon: 5.121987654321 },
    zoneId: 'oudegracht',
    status: 'active',
    createdAt: T1,
    updatedAt: T2
  }

  /** Every optional field absent (not present as `undefined`). */
  const minimalSensor: Sensor = {
    id: 'bike-7',
    kind: 'snuffelfiets',
    name: 'Snuffelfiets 7',
    owner: 'Provincie Utrecht',
    purpose: 'Map air quality along bicycle routes',
    legalBasis: 'Consent',
    retentionDays: 7,
    dpiaRef: 'DPIA-2024-9',
    processesPersonalData: false,
    public: false,
    status: 'suspended',
    createdAt: T1,
    updatedAt: T1
  }

  const fullZone: Zone = {
    id: 'vredenburg',
    name: 'Vredenburg',
    geometry: {
      type: 'Polygon',
      coordinates: [
        [[5.1155, 52.0925], [5.1175, 52.0925], [5.1175, 52.0935], [5.1155, 52.0935], [5.1155, 52.0925]],
        [[5.116, 52.093], [5.1165, 52.093], [5.1165, 52.0932], [5.116, 52.0932], [5.116, 52.093]]
      ]
    },
    areaM2: 15123.4,
    capacity: 5000,
    thresholds: { unit: 'perM2', busy: 0.5, crowded: 1.25, critical: 2 },
    createdAt: T1,
    updatedAt: T2
  }

  const minimalZone: Zone = {
    id: 'neude',
    name: 'Neude',
    geometry: {
      type: 'Polygon',
      coordinates: [[[5.1195, 52.0925], [5.1205, 52.0925], [5.1205, 52.0932], [5.1195, 52.0925]]]
    },
    areaM2: 3000,
    createdAt: T1,
    updatedAt: T1
  }

  const credential = (sensorId: string, secretHash = `scrypt$16384$8$1$salt-${sensorId}$hash-${sensorId}`, rotatedAt = T1): SensorCredential =>
    ({ sensorId, secretHash, rotatedAt })

  const activeToken: ApiToken = {
    id: '0123456789ab',
    name: 'dashboard',
    role: 'operations',
    secretHash: 'scrypt$16384$8$1$c2FsdA$aGFzaA',
    createdAt: T1
  }

  const revokedToken: ApiToken = {
    id: 'ba9876543210',
    name: 'handhaving laptop',
    role: 'enforcement',
    secretHash: 'scrypt$16384$8$1$c2FsdDI$aGFzaDI',
    createdAt: T1,
    revokedAt: T2
  }

  const byId = <T extends { id: string }>(items: T[]): T[] => [...items].sort((a, b) => a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  const bySensorId = (items: SensorCredential[]): SensorCredential[] => [...items].sort((a, b) => a.sensorId < b.sensorId ? -1 : a.sensorId > b.sensorId ? 1 : 0)

  /** The snapshot with every list in a fixed order: the port does not promise one. */
  const sorted = (snapshot: RegistrySnapshot): RegistrySnapshot => ({
    sensors: byId(snapshot.sensors),
    zones: byId(snapshot.zones),
    credentials: bySensorId(snapshot.credentials),
    tokens: byId(snapshot.tokens)
  })

  const EMPTY: RegistrySnapshot = { sensors: [], zones: [], credentials: [], tokens: [] }

  describe(`RegistryStore conformance: ${name}`, () => {
    let store: RegistryStore

    const load = async (): Promise<RegistrySnapshot> => sorted(await store.load())

    beforeEach(async () => {
      store = await open()
    })

    afterEach(async () => {
      await store.close()
    })

    it('loads an empty register', async () => {
      expect(await store.load()).toStrictEqual(EMPTY)
    })

    describe('put and load', () => {
      it('keeps sensors with every optional field present or absent', async () => {
        await store.putSensor(fullSensor)
        await store.putSensor(minimalSensor)
        const { sensors } = await load()
        expect(sensors).toStrictEqual([minimalSensor, fullSensor])
        expect(Object.keys(sensors[0]!)).not.toContain('contact')
        expect(Object.keys(sensors[0]!)).not.toContain('location')
        expect(Object.keys(sensors[0]!)).not.toContain('zoneId')
      })

      it('keeps zones with holes, capacity and thresholds, or without them', async () => {
        await store.putZone(fullZone)
        await store.putZone(minimalZone)
        const { zones } = await load()
        expect(zones).toStrictEqual([minimalZone, fullZone])
        expect(Object.keys(zones[0]!)).not.toContain('capacity')
        expect(Object.keys(zones[0]!)).not.toContain('thresholds')
      })

      it('keeps credentials keyed by sensor id', async () => {
        await store.putCredential(credential('bin-full'))
        await store.putCredential(credential('bike-7'))
        expect((await load()).credentials).toStrictEqual([credential('bike-7'), credential('bin-full')])
      })

      it('keeps tokens with and without revokedAt', async () => {
        await store.putToken(revokedToken)
        await store.putToken(activeToken)
        const { tokens } = await load()
        expect(tokens).toStrictEqual([activeToken, revokedToken])
        expect(Object.keys(tokens[0]!)).not.toContain('revokedAt')
      })

      it('keeps the four kinds of entry apart, even under one id', async () => {
        const id = 'shared-id'
        await store.putSensor({ ...minimalSensor, id })
        await store.putZone({ ...minimalZone, id })
        await store.putCredential(credential(id))
        await store.putToken({ ...activeToken, id })
        expect(await load()).toStrictEqual({
          sensors: [{ ...minimalSensor, id }],
          zones: [{ ...minimalZone, id }],
          credentials: [credential(id)],
          tokens: [{ ...activeToken, id }]
        })
      })

      it('stores a copy: changing an object after put or after load changes nothing stored', async () => {
        const sensor = structuredClone(fullSensor)
        await store.putSensor(sensor)
        sensor.name = 'changed after put'
        sensor.location!.lat = 0
        const loaded = (await store.load()).sensors[0]!
        loaded.status = 'suspended'
        expect((await store.load()).sensors).toStrictEqual([fullSensor])
      })
    })

    describe('insert or replace by id', () => {
      it('replaces a sensor whole, dropping fields the new version lacks', async () => {
        await store.putSensor(fullSensor)
        const { contact, location, ...rest } = fullSensor
        const replaced: Sensor = { ...rest, status: 'suspended', name: 'Container Oudegracht 14', updatedAt: T2 }
        await store.putSensor(replaced)
        const { sensors } = await load()
        expect(sensors).toStrictEqual([replaced])
        expect(Object.keys(sensors[0]!)).not.toContain('contact')
        expect(Object.keys(sensors[0]!)).not.toContain('location')
      })

      it('replaces a zone', async () => {
        await store.putZone(fullZone)
        const replaced: Zone = { ...minimalZone, id: fullZone.id, createdAt: fullZone.createdAt, updatedAt: T2 }
        await store.putZone(replaced)
        expect((await load()).zones).toStrictEqual([replaced])
      })

      it('replaces the credential of a sensor (a rotated secret)', async () => {
        await store.putCredential(credential('bin-full'))
        await store.putCredential(credential('bin-full', 'scrypt$16384$8$1$bmV3$bmV3aGFzaA', T2))
        expect((await load()).credentials).toStrictEqual([credential('bin-full', 'scrypt$16384$8$1$bmV3$bmV3aGFzaA', T2)])
      })

      it('replaces a token whole: a revocation, and its undoing', async () => {
        await store.putToken(activeToken)
        await store.putToken({ ...activeToken, revokedAt: T2 })
        expect((await load()).tokens).toStrictEqual([{ ...activeToken, revokedAt: T2 }])
        await store.putToken(activeToken)
        expect((await load()).tokens).toStrictEqual([activeToken])
      })

      it('lets the last of several writes to one id win, in the order they were issued', async () => {
        await Promise.all(Array.from({ length: 10 }, (_, i) => store.putSensor({ ...minimalSensor, name: `version ${i}` })))
        expect((await load()).sensors).toStrictEqual([{ ...minimalSensor, name: 'version 9' }])
      })
    })

    describe('get (optional)', () => {
      it('returns one entry as last stored, by table, and undefined for an unknown id', async (ctx) => {
        if (store.get === undefined) return ctx.skip()
        await store.putSensor({ ...fullSensor, name: 'first version' })
        await store.putSensor(fullSensor)
        await store.putZone({ ...minimalZone, id: fullSensor.id })
        await store.putCredential(credential(fullSensor.id))
        await store.putToken(revokedToken)
        expect(await store.get('sensors', fullSensor.id)).toStrictEqual(fullSensor)
        expect(await store.get('zones', fullSensor.id)).toStrictEqual({ ...minimalZone, id: fullSensor.id })
        expect(await store.get('credentials', fullSensor.id)).toStrictEqual(credential(fullSensor.id))
        expect(await store.get('tokens', revokedToken.id)).toStrictEqual(revokedToken)
        expect(await store.get('tokens', fullSensor.id)).toBeUndefined()
        expect(await store.get('sensors', 'no-such-sensor')).toBeUndefined()
      })

      it('returns a copy', async (ctx) => {
        if (store.get === undefined) return ctx.skip()
        await store.putSensor(minimalSensor)
        const got = await store.get('sensors', minimalSensor.id)
        expect(got).toStrictEqual(minimalSensor)
        got!.name = 'changed after get'
        expect(await store.get('sensors', minimalSensor.id)).toStrictEqual(minimalSensor)
      })
    })

    it('round-trips quotes, backslashes, newlines, unicode and SQL-looking text', async () => {
      const awkward: Sensor = {
        ...fullSensor,
        name: 'O\'Brien\'s "bak" \\ `tick` $1 %s ?',
        owner: "'); DROP TABLE sensors; --",
        contact: 'Zoë Ünal <zoë@ütrecht.example>',
        purpose: 'line one\nline two\r\nline three\ttabbed',
        legalBasis: 'Ἀθῆναι 東京 🚲🌳 \u200b zero-width, \u00a0 nbsp',
        dpiaRef: 'nul \u0000 inside, lone surrogate \ud800 here'
      }
      await store.putSensor(awkward)
      await store.putZone({ ...minimalZone, name: 'Plein "de \'Neude\'"\n🚲' })
      await store.putCredential(credential(fullSensor.id, 'scrypt$1$2$3$\'"\\$\n'))
      await store.putToken({ ...activeToken, name: 'token \'with\' "quotes" ✓' })
      expect(await load()).toStrictEqual({
        sensors: [awkward],
        zones: [{ ...minimalZone, name: 'Plein "de \'Neude\'"\n🚲' }],
        credentials: [credential(fullSensor.id, 'scrypt$1$2$3$\'"\\$\n')],
        tokens: [{ ...activeToken, name: 'token \'with\' "quotes" ✓' }]
      })
    })

    it('lands all of 50 concurrent puts', async () => {
      const ids = Array.from({ length: 50 }, (_, i) => `sensor-${String(i).padStart(2, '0')}`)
      await Promise.all(ids.map((id) => store.putSensor({ ...minimalSensor, id })))
      expect((await load()).sensors).toStrictEqual(ids.map((id) => ({ ...minimalSensor, id })))
    })

    it('lands all of 50 concurrent puts spread over the four kinds of entry', async () => {
      const ids = Array.from({ length: 50 }, (_, i) => `e-${String(i).padStart(2, '0')}`)
      await Promise.all(ids.map((id, i) => {
        switch (i % 4) {
          case 0: return store.putSensor({ ...minimalSensor, id })
          case 1: return store.putZone({ ...minimalZone, id })
          case 2: return store.putCredential(credential(id))
          default: return store.putToken({ ...activeToken, id })
        }
      }))
      const snapshot = await load()
      expect(snapshot.sensors.map((s) => s.id)).toStrictEqual(ids.filter((_, i) => i % 4 === 0))
      expect(snapshot.zones.map((z) => z.id)).toStrictEqual(ids.filter((_, i) => i % 4 === 1))
      expect(snapshot.credentials.map((c) => c.sensorId)).toStrictEqual(ids.filter((_, i) => i % 4 === 2))
      expect(snapshot.tokens.map((t) => t.id)).toStrictEqual(ids.filter((_, i) => i % 4 === 3))
    })

    // Only for stores that keep something: one kept in memory has no restart to test.
    if (reopen !== undefined) {
      describe('after a restart', () => {
        const restart = async (): Promise<void> => {
          if (reopen !== undefined) store = await reopen(store)
        }

        it('keeps an empty register empty', async () => {
          await restart()
          expect(await store.load()).toStrictEqual(EMPTY)
        })

        it('keeps every entry, as last replaced', async () => {
          await store.putSensor({ ...fullSensor, name: 'first version' })
          await store.putSensor(fullSensor)
          await store.putSensor(minimalSensor)
          await store.putZone(fullZone)
          await store.putZone(minimalZone)
          await store.putCredential(credential(fullSensor.id, 'old'))
          await store.putCredential(credential(fullSensor.id))
          await store.putCredential(credential(minimalSensor.id))
          await store.putToken(activeToken)
          await store.putToken(revokedToken)
          const before = await load()
          await restart()
          expect(await load()).toStrictEqual(before)
          expect(before).toStrictEqual({
            sensors: [minimalSensor, fullSensor],
            zones: [minimalZone, fullZone],
            credentials: [credential(minimalSensor.id), credential(fullSensor.id)],
            tokens: [activeToken, revokedToken]
          })
        })

        it('keeps concurrent writes, and accepts writes after the restart', async () => {
          const ids = Array.from({ length: 50 }, (_, i) => `sensor-${String(i).padStart(2, '0')}`)
          await Promise.all(ids.map((id) => store.putSensor({ ...minimalSensor, id })))
          await restart()
          await store.putSensor({ ...minimalSensor, id: 'sensor-00', name: 'after restart' })
          await store.putToken(activeToken)
          await restart()
          const snapshot = await load()
          expect(snapshot.sensors).toHaveLength(50)
          expect(snapshot.sensors[0]).toStrictEqual({ ...minimalSensor, id: 'sensor-00', name: 'after restart' })
          expect(snapshot.sensors[49]).toStrictEqual({ ...minimalSensor, id: 'sensor-49' })
          expect(snapshot.tokens).toStrictEqual([activeToken])
        })
      })
    }
  })
}

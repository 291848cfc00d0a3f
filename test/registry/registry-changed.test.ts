import { beforeEach, describe, expect, it } from 'vitest'
import type { SensorRegistration, ZoneInput } from '../../core/sensor.js'
import { loadKinds } from '../../registry/kind-catalog.js'
import { MemoryRegistryStore } from '../../registry/memory-registry-store.js'
import { Registry, type RegisterChange } from '../../registry/registry.js'

/**
 * The registry's `changed` event: every change of a sensor or zone entry in memory, and
 * nothing for tokens and credentials, which are not part of the public register. What is
 * derived from the register (the SensorThings catalogue) is rebuilt on it. Changes of other
 * processes come through the same path (test/api/sta-catalogue-cache.test.ts, PostgreSQL).
 */
const bin = (id: string): SensorRegistration => ({
  id, kind: 'wastebin', name: `Container ${id}`, owner: 'Gemeente Utrecht', purpose: 'Empty containers when full', legalBasis: 'Public task', dpiaRef: 'DPIA-1', processesPersonalData: false, public: true, location: { lat: 52.09, lon: 5.12 }
})
const square: ZoneInput['geometry'] = { type: 'Polygon', coordinates: [[[5.11, 52.09], [5.112, 52.09], [5.112, 52.091], [5.11, 52.091], [5.11, 52.09]]] }

describe('Registry changed event', () => {
  let registry: Registry
  let changes: RegisterChange[]

  beforeEach(async () => {
    registry = await Registry.open(new MemoryRegistryStore(), loadKinds())
    changes = []
    registry.on('changed', (change) => changes.push(change))
  })

  it('reports a sensor registered and its status changed', async () => {
    await registry.registerSensor(bin('bin-1'))
    await registry.setSensorStatus('bin-1', 'suspended')
    expect(changes).toEqual([{ table: 'sensors', id: 'bin-1' }, { table: 'sensors', id: 'bin-1' }])
  })

  it('reports a zone created and changed', async () => {
    await registry.putZone({ id: 'centrum', name: 'Centrum', geometry: square })
    await registry.putZone({ id: 'centrum', name: 'Binnenstad', geometry: square })
    expect(changes).toEqual([{ table: 'zones', id: 'centrum' }, { table: 'zones', id: 'centrum' }])
  })

  it('reports nothing for tokens and secret rotations', async () => {
    await registry.registerSensor(bin('bin-1'))
    changes.length = 0
    await registry.createToken('operations', 'ops')
    await registry.rotateSecret('bin-1')
    expect(changes).toEqual([])
  })

  it('reports nothing when a refused registration leaves the register as it was', async () => {
    await registry.registerSensor(bin('bin-1'))
    changes.length = 0
    await expect(registry.registerSensor(bin('bin-1'))).rejects.toThrow()
    expect(changes).toEqual([])
  })
})

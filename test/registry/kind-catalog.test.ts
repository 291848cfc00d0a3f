import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { errorOf } from '../helpers/error-of.js'
import { BUILT_IN_KINDS_DIR, identifyingWord, loadKinds } from '../../registry/kind-catalog.js'

describe('loadKinds', () => {
  it('loads the built-in kinds', () => {
    const kinds = loadKinds()
    expect([...kinds.keys()].sort()).toStrictEqual(['crowd', 'snuffelfiets', 'wastebin'])
    expect(kinds.get('crowd')).toMatchObject({ placement: 'fixed', retentionDays: 7, fields: { peopleCount: { unit: 'count', privacy: 'open' } } })
    expect(kinds.get('snuffelfiets')).toMatchObject({ placement: 'mobile', retentionDays: 1, fields: { lat: { privacy: 'location' }, trip: { privacy: 'internal' } } })
    expect(kinds.get('wastebin')).toMatchObject({ placement: 'fixed', retentionDays: 90 })
    expect(Object.keys(kinds.get('wastebin')!.fields).sort()).toStrictEqual(['battery', 'fillingLevel', 'temperature'])
  })

  describe('from a folder of definitions', () => {
    let dir = ''
    let wastebin: Record<string, any> = {}

    beforeEach(async () => {
      dir = await mkdtemp(join(tmpdir(), 'sensorstad-kinds-'))
      wastebin = JSON.parse(await readFile(join(BUILT_IN_KINDS_DIR, 'wastebin.json'), 'utf8'))
    })

    afterEach(async () => {
      await rm(dir, { recursive: true, force: true })
    })

    const write = (file: string, definition: unknown): Promise<void> => writeFile(join(dir, file), JSON.stringify(definition))

    /** The wastebin definition with `change` applied to a copy. */
    const variant = (change: (kind: Record<string, any>) => void): Record<string, any> => {
      const kind = structuredClone(wastebin)
      change(kind)
      return kind
    }

    it('loads a valid definition, ignoring files that are not .json', async () => {
      await write('bin.json', variant((k) => { k.id = 'bin' }))
      await writeFile(join(dir, 'README.md'), 'not a kind')
      await writeFile(join(dir, 'draft.json.bak'), '{')
      const kinds = loadKinds(dir)
      expect([...kinds.keys()]).toStrictEqual(['bin'])
      expect(kinds.get('bin')).toStrictEqual({ ...wastebin, id: 'bin' })
    })

    it('loads several definitions', async () => {
      await write('a.json', variant((k) => { k.id = 'bin-a' }))
      await write('b.json', variant((k) => { k.id = 'bin-b' }))
      expect([...loadKinds(dir).keys()].sort()).toStrictEqual(['bin-a', 'bin-b'])
    })

    it.each([
      ['a field that payloadSchema.properties lacks', (k: Record<string, any>) => {
        k.fields.weight = { unit: 'kg', description: 'Weight', privacy: 'open' }
      }],
      ['a property that fields lacks', (k: Record<string, any>) => {
        k.payloadSchema.properties.weight = { type: 'number' }
      }],
      ['a property renamed', (k: Record<string, any>) => {
        k.payloadSchema.properties.battery2 = k.payloadSchema.properties.battery
        delete k.payloadSchema.properties.battery
      }],
      ['fields a and b against one property named "a,b"', (k: Record<string, any>) => {
        k.fields = { a: { unit: 'count', description: 'A', privacy: 'open' }, b: { unit: 'count', description: 'B', privacy: 'open' } }
        k.payloadSchema.properties = { 'a,b': { type: 'number' } }
      }],
      ['additionalProperties missing', (k: Record<string, any>) => {
        delete k.payloadSchema.additionalProperties
      }],
      ['additionalProperties true', (k: Record<string, any>) => {
        k.payloadSchema.additionalProperties = true
      }],
      ['additionalProperties as a schema', (k: Record<string, any>) => {
        k.payloadSchema.additionalProperties = { type: 'number' }
      }],
      ['a payload that is not an object', (k: Record<string, any>) => {
        k.payloadSchema.type = 'array'
      }],
      ['a string field', (k: Record<string, any>) => {
        k.payloadSchema.properties.battery = { type: 'string' }
      }],
      ['a field without a type', (k: Record<string, any>) => {
        k.payloadSchema.properties.battery = { minimum: 0 }
      }],
      ['a nullable number field', (k: Record<string, any>) => {
        k.payloadSchema.properties.battery = { type: ['number', 'null'] }
      }],
      ['no retentionDays', (k: Record<string, any>) => {
        delete k.retentionDays
      }],
      ['a fractional retentionDays', (k: Record<string, any>) => {
        k.retentionDays = 1.5
      }],
      ['no windows', (k: Record<string, any>) => {
        k.windows = []
      }],
      ['an unknown window', (k: Record<string, any>) => {
        k.windows = ['1m', '2m']
      }],
      ['an unknown privacy class', (k: Record<string, any>) => {
        k.fields.battery.privacy = 'secret'
      }],
      ['an unknown placement', (k: Record<string, any>) => {
        k.placement = 'floating'
      }],
      ['an id with a slash', (k: Record<string, any>) => {
        k.id = 'waste/bin'
      }]
    ])('refuses %s with REGISTRY_ERR_KIND_INVALID', async (_, change) => {
      await write('bin.json', variant(change))
      expect(errorOf(() => loadKinds(dir)).code).toBe('REGISTRY_ERR_KIND_INVALID')
    })

    it.each(['mac', 'deviceAddress', 'imsi', 'ssid', 'email', 'name', 'ownerName', 'licencePlate', 'bluetoothRssi', 'deviceId', 'dwellTime'])('refuses a kind with the identifying field %s (privacy rule 1)', async (field) => {
      await write('bin.json', variant((k) => {
        k.fields[field] = { unit: 'count', description: 'x', privacy: 'open' }
        k.payloadSchema.properties[field] = { type: 'number' }
      }))
      const err = errorOf(() => loadKinds(dir))
      expect(err.code).toBe('REGISTRY_ERR_KIND_INVALID')
      expect(err.message).toContain(`field ${field}`)
    })

    it.each(['trip', 'temperature', 'relativeHumidity', 'pm25', 'peopleCount', 'fillingLevel', 'battery'])('accepts the field name %s', (field) => {
      expect(identifyingWord(field)).toBeUndefined()
    })

    it('refuses two files that define the same kind id', async () => {
      await write('a.json', wastebin)
      await write('b.json', variant((k) => { k.title = 'Another waste container' }))
      const err = errorOf(() => loadKinds(dir))
      expect(err.code).toBe('REGISTRY_ERR_KIND_INVALID')
      expect(err.message).toContain('b.json')
    })

    it('names the offending file', async () => {
      await write('good.json', variant((k) => { k.id = 'good' }))
      await write('broken.json', variant((k) => { delete k.retentionDays }))
      expect(errorOf(() => loadKinds(dir)).message).toContain(join(dir, 'broken.json'))
    })
  })
})

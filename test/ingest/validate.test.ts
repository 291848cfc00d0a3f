import { describe, expect, it } from 'vitest'
import { readingSchema } from '../../core/reading.js'
import type { DecodedGroup } from '../../ingest/decoders/decoder.js'
import { DECODERS } from '../../ingest/decoders/index.js'
import { compileKind, type ValidateContext } from '../../ingest/validate.js'
import { errorOf, loadKind, NOW } from './helpers.js'

const crowd = compileKind(loadKind('crowd'))
const snuffelfiets = compileKind(loadKind('snuffelfiets'))
const wastebin = compileKind(loadKind('wastebin'))
const ctx: ValidateContext = { sensorId: 'fiets-042', now: NOW, maxFutureMs: 60_000 }

const group = (values: Record<string, unknown>, time?: number, units: Record<string, string> = {}): DecodedGroup => ({ time, values, units })
const senml = (text: string) => DECODERS.senml(Buffer.from(text), NOW)
const json = (text: string) => DECODERS.json(Buffer.from(text), NOW)

describe('compileKind', () => {
  it('compiles every shipped kind', () => {
    expect([crowd, snuffelfiets, wastebin].map((v) => v.kind.id)).toEqual(['crowd', 'snuffelfiets', 'wastebin'])
  })

  it('can compile the same kind twice', () => {
    const kind = loadKind('crowd')
    expect(compileKind(kind).toReadings([group({ peopleCount: 1 })], ctx)).toEqual(compileKind(kind).toReadings([group({ peopleCount: 1 })], ctx))
  })

  it('refuses a payload schema that strict mode rejects', () => {
    const kind = loadKind('crowd')
    const bad = { ...kind, payloadSchema: { ...kind.payloadSchema, properties: { peopleCount: { type: 'integer', minimun: 0 } } } }
    expect(errorOf(() => compileKind(bad)).code).toBe('REGISTRY_ERR_KIND_INVALID')
  })
})

describe('toReadings', () => {
  it('turns a crowd count into one reading', () => {
    expect(crowd.toReadings([group({ peopleCount: 42 }, NOW - 1000)], ctx)).toEqual([
      { sensorId: 'fiets-042', kind: 'crowd', field: 'peopleCount', time: NOW - 1000, value: 42 }
    ])
  })

  it('gives a group without time the receive time', () => {
    expect(crowd.toReadings([group({ peopleCount: 1 })], ctx)[0]?.time).toBe(NOW)
  })

  it('outputs every field in declaration order, whatever the payload order, location and internal fields included', () => {
    const values = { trip: 7, lon: 5.12, lat: 52.09, relativeHumidity: 61, temperature: 18.5, pm10: 20, pm25: 12.5, pm1: 4 }
    const readings = snuffelfiets.toReadings([group(values)], ctx)
    expect(readings.map((r) => [r.field, r.value])).toEqual([
      ['pm1', 4], ['pm25', 12.5], ['pm10', 20], ['temperature', 18.5], ['relativeHumidity', 61], ['lat', 52.09], ['lon', 5.12], ['trip', 7]
    ])
    for (const reading of readings) expect(readingSchema.parse(reading)).toEqual(reading)
  })

  it('outputs groups in order, each at its own time', () => {
    const readings = wastebin.toReadings([group({ battery: 90 }, NOW - 2000), group({ fillingLevel: 40, battery: 89 }, NOW - 1000)], ctx)
    expect(readings.map((r) => [r.time, r.field, r.value])).toEqual([
      [NOW - 2000, 'battery', 90], [NOW - 1000, 'fillingLevel', 40], [NOW - 1000, 'battery', 89]
    ])
  })

  it('returns no readings for no groups', () => {
    expect(crowd.toReadings([], ctx)).toEqual([])
  })

  it('accepts a SenML pack with matching units end to end', () => {
    const readings = snuffelfiets.toReadings(senml('[{"bn":"fiets-042:","bu":"ug/m3","n":"pm25","v":12.5,"t":-10},{"n":"pm10","v":20,"t":-10},{"n":"temperature","u":"Cel","v":18,"t":-10}]'), ctx)
    expect(readings.map((r) => [r.field, r.time, r.value])).toEqual([['pm25', NOW - 10_000, 12.5], ['pm10', NOW - 10_000, 20], ['temperature', NOW - 10_000, 18]])
  })

  it('accepts a json message with an RFC 3339 time end to end', () => {
    expect(crowd.toReadings(json('{"peopleCount":12,"time":"2024-06-01T13:59:30+02:00"}'), ctx)).toEqual([
      { sensorId: 'fiets-042', kind: 'crowd', field: 'peopleCount', time: NOW - 30_000, value: 12 }
    ])
  })

  describe('undeclared fields', () => {
    it('refuses a field the kind does not declare and names it', () => {
      const err = errorOf(() => crowd.toReadings([group({ peopleCount: 1, mac: 'AA:BB:CC:DD:EE:FF' })], ctx))
      expect(err.code).toBe('INGEST_ERR_UNDECLARED_FIELD')
      expect(err.field).toBe('mac')
      expect(err.message).not.toContain('AA:BB')
    })

    it('says undeclared, not empty, when only undeclared fields are sent', () => {
      expect(errorOf(() => crowd.toReadings([group({ pm25: 3 })], ctx)).code).toBe('INGEST_ERR_UNDECLARED_FIELD')
    })

    it('refuses names of Object.prototype members', () => {
      for (const name of ['toString', 'hasOwnProperty', 'valueOf']) {
        const values = Object.assign(Object.create(null), { peopleCount: 1, [name]: 1 })
        expect(errorOf(() => crowd.toReadings([group(values)], ctx)).code, name).toBe('INGEST_ERR_UNDECLARED_FIELD')
      }
    })

    it('cuts a long field name to 64 characters', () => {
      const long = 'x'.repeat(300)
      const err = errorOf(() => crowd.toReadings([group({ peopleCount: 1, [long]: 1 })], ctx))
      expect(err.field).toBe('x'.repeat(64))
      expect(err.message).not.toContain('x'.repeat(65))
    })

    it('refuses a SenML name that resolves to an undeclared field', () => {
      expect(errorOf(() => crowd.toReadings(senml('[{"n":"urn:dev:ow:10e2073a01080063","u":"Cel","v":23.1}]'), ctx)).code).toBe('INGEST_ERR_UNDECLARED_FIELD')
    })
  })

  describe('types', () => {
    it.each([['"3"', '3'], ['1.5', '1.5'], ['true', 'true'], ['null', 'null'], ['{}', '{}'], ['[3]', '[3]']])('refuses peopleCount %s', (value) => {
      const err = errorOf(() => crowd.toReadings(json(`{"peopleCount":${value}}`), ctx))
      expect(err.code).toBe('INGEST_ERR_TYPE')
      expect(err.field).toBe('peopleCount')
    })

    it('accepts 3.0 as an integer', () => {
      expect(crowd.toReadings(json('{"peopleCount":3.0}'), ctx)[0]?.value).toBe(3)
    })

    it.each([
      ['vs', '"12"'], ['vb', 'true'], ['vd', '"aGkgCg"']
    ])('refuses a SenML %s value with INGEST_ERR_TYPE', (label, value) => {
      const err = errorOf(() => snuffelfiets.toReadings(senml(`[{"n":"pm25","${label}":${value}}]`), ctx))
      expect(err.code).toBe('INGEST_ERR_TYPE')
      expect(err.field).toBe('pm25')
    })

    it('refuses a non-integer ride counter', () => {
      expect(errorOf(() => snuffelfiets.toReadings([group({ trip: 1.5 })], ctx)).code).toBe('INGEST_ERR_TYPE')
    })
  })

  describe('non-finite numbers', () => {
    it.each([Infinity, -Infinity, NaN])('refuses %s before the schema would call it a wrong type', (value) => {
      const err = errorOf(() => snuffelfiets.toReadings([group({ pm1: 1, pm25: value })], ctx))
      expect(err.code).toBe('INGEST_ERR_NOT_FINITE')
      expect(err.field).toBe('pm25')
    })
  })

  describe('ranges', () => {
    it.each([
      [crowd, { peopleCount: -1 }], [crowd, { peopleCount: 100001 }],
      [snuffelfiets, { lat: 50.4 }], [snuffelfiets, { lon: 7.31 }], [snuffelfiets, { temperature: 60.5 }], [snuffelfiets, { relativeHumidity: 100.1 }],
      [snuffelfiets, { trip: -1 }], [wastebin, { temperature: 121 }], [wastebin, { fillingLevel: -0.1 }], [wastebin, { battery: 101 }]
    ])('refuses %#: out of range', (validator, values) => {
      const err = errorOf(() => validator.toReadings([group(values)], ctx))
      expect(err.code).toBe('INGEST_ERR_OUT_OF_RANGE')
      expect(err.field).toBe(Object.keys(values)[0])
    })

    it.each([
      [crowd, { peopleCount: 0 }], [crowd, { peopleCount: 100000 }], [snuffelfiets, { lat: 53.7, lon: 3.2 }],
      [snuffelfiets, { temperature: -40 }], [wastebin, { temperature: 120 }], [wastebin, { fillingLevel: 100 }]
    ])('accepts %#: on the limit', (validator, values) => {
      expect(validator.toReadings([group(values)], ctx)).toHaveLength(Object.keys(values).length)
    })
  })

  describe('empty', () => {
    it('refuses a crowd message without its required count and names the field', () => {
      const err = errorOf(() => crowd.toReadings(json('{}'), ctx))
      expect(err.code).toBe('INGEST_ERR_EMPTY')
      expect(err.field).toBe('peopleCount')
    })

    it('refuses a wastebin message without any field', () => {
      expect(errorOf(() => wastebin.toReadings(json('{"time":1717243200}'), ctx)).code).toBe('INGEST_ERR_EMPTY')
    })
  })

  describe('units', () => {
    it('accepts the declared unit', () => {
      expect(snuffelfiets.toReadings([group({ pm25: 1 }, undefined, { pm25: 'ug/m3' })], ctx)).toHaveLength(1)
    })

    it.each([['mg/m3'], ['UG/M3'], ['']])('refuses pm25 in %j', (unit) => {
      const err = errorOf(() => snuffelfiets.toReadings([group({ pm25: 1 }, undefined, { pm25: unit })], ctx))
      expect(err.code).toBe('INGEST_ERR_UNIT')
      expect(err.field).toBe('pm25')
    })

    it('refuses a base unit that does not fit a later field', () => {
      const err = errorOf(() => snuffelfiets.toReadings(senml('[{"bu":"ug/m3","n":"pm25","v":1},{"n":"temperature","v":18}]'), ctx))
      expect(err.code).toBe('INGEST_ERR_UNIT')
      expect(err.field).toBe('temperature')
    })

    it('refuses Celsius written in the wrong case', () => {
      expect(errorOf(() => wastebin.toReadings(senml('[{"n":"temperature","u":"cel","v":18}]'), ctx)).code).toBe('INGEST_ERR_UNIT')
    })
  })

  describe('time', () => {
    it('accepts a time exactly maxFutureMs ahead and refuses one millisecond more', () => {
      expect(crowd.toReadings([group({ peopleCount: 1 }, NOW + 60_000)], ctx)).toHaveLength(1)
      expect(errorOf(() => crowd.toReadings([group({ peopleCount: 1 }, NOW + 60_001)], ctx)).code).toBe('INGEST_ERR_FUTURE')
    })

    it('refuses a SenML time 2 minutes ahead', () => {
      expect(errorOf(() => crowd.toReadings(senml('[{"n":"peopleCount","v":1,"t":120}]'), ctx)).code).toBe('INGEST_ERR_FUTURE')
    })

    it('accepts a time exactly the allowed lateness old and refuses one millisecond older', () => {
      expect(crowd.toReadings([group({ peopleCount: 1 }, NOW - 900_000)], ctx)).toHaveLength(1)
      expect(errorOf(() => crowd.toReadings([group({ peopleCount: 1 }, NOW - 900_001)], ctx)).code).toBe('INGEST_ERR_TOO_LATE')
    })

    it('uses the lateness of each kind: two hours is too late for crowd, not for snuffelfiets', () => {
      const old = NOW - 2 * 3_600_000
      expect(errorOf(() => crowd.toReadings([group({ peopleCount: 1 }, old)], ctx)).code).toBe('INGEST_ERR_TOO_LATE')
      expect(snuffelfiets.toReadings([group({ pm25: 1 }, old)], ctx)).toHaveLength(1)
    })

    it('refuses a json epoch time two days old', () => {
      expect(errorOf(() => wastebin.toReadings(json(`{"battery":50,"time":${NOW / 1000 - 2 * 86400}}`), ctx)).code).toBe('INGEST_ERR_TOO_LATE')
    })

    it('refuses a time that is not whole milliseconds', () => {
      expect(errorOf(() => crowd.toReadings([group({ peopleCount: 1 }, NOW - 0.5)], ctx)).code).toBe('INGEST_ERR_TIME')
    })
  })

  describe('a message is accepted or rejected whole', () => {
    it('refuses the whole pack when its last group is bad', () => {
      const groups = senml('[{"n":"pm25","v":1,"t":-20},{"n":"pm25","v":2,"t":-10},{"n":"pm25","v":5000}]')
      expect(errorOf(() => snuffelfiets.toReadings(groups, ctx)).code).toBe('INGEST_ERR_OUT_OF_RANGE')
    })

    it('refuses the whole pack when one group is too late', () => {
      const groups = [group({ peopleCount: 1 }), group({ peopleCount: 2 }, NOW - 7_200_000)]
      expect(errorOf(() => crowd.toReadings(groups, ctx)).code).toBe('INGEST_ERR_TOO_LATE')
    })
  })
})

import type { ErrorCode } from '../core/errors.js'
import type { Outgoing } from './outgoing.js'

/**
 * What a misbehaving sensor sends: payloads the platform must refuse, each with the error
 * code it should answer with on the sensor's `errors` topic (core/errors.ts). Each is built
 * from one declared field of the kind, so the catalogue serves every kind.
 */
export interface FieldSample {
  /** A field the kind declares. */
  field: string
  /** Its SenML unit (RFC 8428 section 12.1). */
  unit: string
  /** A value its schema accepts. */
  value: number
  /** A finite value its schema refuses. */
  outOfRange: number
}

export interface BadMessage extends Outgoing {
  expected: ErrorCode
  /** What is wrong with it, for the summary. */
  what: string
}

const DAY_MS = 86_400_000

interface BadRecipe {
  expected: ErrorCode
  what: string
  build: (s: FieldSample, sensorId: string, timeMs: number) => Outgoing
}

const json = (body: string): Outgoing => ({ channel: 'json', body })
const senml = (body: string): Outgoing => ({ channel: 'senml', body })
const iso = (ms: number): string => new Date(ms).toISOString()
const bt = (ms: number): number => Math.round(ms) / 1000

export const BAD_RECIPES: readonly BadRecipe[] = [
  {
    expected: 'INGEST_ERR_MALFORMED',
    what: 'JSON cut off mid-object',
    build: (s) => json(`{"${s.field}": ${s.value},`)
  },
  {
    expected: 'INGEST_ERR_UNDECLARED_FIELD',
    what: 'an undeclared field "colour"',
    build: (s, _id, t) => json(JSON.stringify({ time: iso(t), [s.field]: s.value, colour: 3 }))
  },
  // Identifying data is refused wherever it stands, before any other check (privacy rule 3).
  {
    expected: 'INGEST_ERR_IDENTIFIER',
    what: 'a MAC address in a json value',
    build: (s, _id, t) => json(JSON.stringify({ time: iso(t), [s.field]: s.value, mac: 'a4:5e:60:d1:22:9b' }))
  },
  {
    expected: 'INGEST_ERR_IDENTIFIER',
    what: 'a MAC address as a SenML string value',
    build: (_s, id, t) => senml(JSON.stringify([{ bn: `${id}:`, bt: bt(t), n: 'mac', vs: 'a4:5e:60:d1:22:9b' }]))
  },
  {
    expected: 'INGEST_ERR_IDENTIFIER',
    what: 'an e-mail address as a key',
    build: (s, _id, t) => json(JSON.stringify({ time: iso(t), [s.field]: s.value, 'rider@example.nl': 1 }))
  },
  {
    expected: 'INGEST_ERR_IDENTIFIER',
    what: 'an IMEI in a SenML base name',
    build: (s, _id, t) => senml(JSON.stringify([{ bn: 'urn:dev:imei:490154203237518:', bt: bt(t), n: s.field, u: s.unit, v: s.value }]))
  },
  {
    expected: 'INGEST_ERR_IDENTIFIER',
    what: 'a licence plate in a value',
    build: (s, _id, t) => json(JSON.stringify({ time: iso(t), [s.field]: s.value, seen: 'GZ-123-X' }))
  },
  {
    expected: 'INGEST_ERR_TYPE',
    what: 'a string where a number belongs',
    build: (s, _id, t) => json(JSON.stringify({ time: iso(t), [s.field]: String(s.value) }))
  },
  {
    expected: 'INGEST_ERR_FUTURE',
    what: 'time a day ahead',
    build: (s, _id, t) => json(JSON.stringify({ time: iso(t + DAY_MS), [s.field]: s.value }))
  },
  {
    expected: 'INGEST_ERR_TOO_LATE',
    what: 'time eight days old',
    build: (s, _id, t) => json(JSON.stringify({ time: iso(t - 8 * DAY_MS), [s.field]: s.value }))
  },
  {
    expected: 'INGEST_ERR_FORBIDDEN_KEY',
    what: 'a "__proto__" key',
    // Written by hand: JSON.stringify cannot produce an own "__proto__" key, JSON.parse will.
    build: (s, _id, t) => json(`{"__proto__":{"polluted":true},"time":"${iso(t)}","${s.field}":${s.value}}`)
  },
  {
    expected: 'INGEST_ERR_OUT_OF_RANGE',
    what: 'value outside the field\'s range',
    build: (s, id, t) => senml(JSON.stringify([{ bn: `${id}:`, bt: bt(t), n: s.field, u: s.unit, v: s.outOfRange }]))
  },
  {
    expected: 'INGEST_ERR_NOT_FINITE',
    what: '1e999, which JSON.parse turns into Infinity',
    build: (s, _id, t) => json(`{"time":"${iso(t)}","${s.field}":1e999}`)
  },
  {
    expected: 'INGEST_ERR_UNIT',
    what: 'SenML unit other than the declared one',
    build: (s, id, t) => senml(JSON.stringify([{ bn: `${id}:`, bt: bt(t), n: s.field, u: s.unit === 'W' ? 'V' : 'W', v: s.value }]))
  },
  {
    expected: 'INGEST_ERR_EMPTY',
    what: 'an empty SenML pack',
    build: () => senml('[]')
  }
]

/** The `n`-th bad message of a device (the recipes in turn). */
export function badMessage (sample: FieldSample, sensorId: string, n: number, timeMs: number): BadMessage {
  const recipe = BAD_RECIPES[((n % BAD_RECIPES.length) + BAD_RECIPES.length) % BAD_RECIPES.length]!
  return { ...recipe.build(sample, sensorId, timeMs), expected: recipe.expected, what: recipe.what }
}

import type { KindDefinition } from '../../core/kind.js'
import type { Reading } from '../../core/reading.js'

/**
 * Seeded mutation of sensor payloads for the fuzz tests. Every case draws from its own
 * generator, derived from the run's seed and the case number, so a failure names a seed and a
 * case that replay alone, whatever order the cases ran in.
 */

export type Random = () => number

/** mulberry32: a 32-bit generator, enough to spread cases; not for anything secret. */
export function mulberry32 (seed: number): Random {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** The generator of one case: the run's seed mixed with the case number (golden-ratio step). */
export function caseRandom (seed: number, index: number): Random {
  return mulberry32((seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0)
}

/**
 * FUZZ_SEED from the environment replays a run; otherwise a fresh seed. Tests read the
 * environment here only, as the platform's config is not involved.
 */
export function fuzzSeed (): number {
  const fromEnv = process.env.FUZZ_SEED
  if (fromEnv !== undefined && fromEnv !== '') {
    const seed = Number(fromEnv)
    if (!Number.isSafeInteger(seed)) throw new Error(`FUZZ_SEED must be an integer, got ${fromEnv}`)
    return seed >>> 0
  }
  return Math.floor(Math.random() * 2 ** 32)
}

export const int = (random: Random, n: number): number => Math.floor(random() * n)
export const pick = <T>(random: Random, items: readonly T[]): T => items[int(random, items.length)] as T

// Numbers that sit on or past the edges a parser or a range check has: doubles that overflow,
// lose precision, underflow, negative zero, integers past 2**53 and 2**32.
const EDGE_NUMBERS = ['1e400', '-1e400', '1e308', '-1.7976931348623157e308', '9007199254740993', '-0', '1e-400', '0.1e-7',
  '123456789012345678901234567890', '4294967296', '4294967295', '100000', '100001', '100.0000001', '-40', '-40.0001', '53.7', '3.2',
  '0', '1', '0.5', '50', '99.99', '1E2', '1e+2', '01', '.5', '5.', '+1', 'NaN', 'Infinity', '0x10']
const RESERVED_KEYS = ['__proto__', 'constructor', 'prototype']
// Overlong encodings, lone surrogates, a stray continuation byte, bytes never used in UTF-8.
const BAD_UTF8 = [[0xff], [0xfe], [0xc0, 0xaf], [0xe0, 0x80, 0xaf], [0xed, 0xa0, 0x80], [0x80], [0xc3], [0xf4, 0x90, 0x80, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80]]
const TOKENS = ['{', '}', '[', ']', ',', ':', '"', '\\', '\\u0000', '\\ud800', 'null', 'true', '"v"', '"n"', '"bt"', '"bn"', '"t"', '"time"', '"vs"', '"bver"', '"x_"', '1', '-', 'e']
const NUMBER = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g

function spliceBytes (buf: Buffer, at: number, remove: number, insert: Buffer | string): Buffer {
  const ins = typeof insert === 'string' ? Buffer.from(insert) : insert
  return Buffer.concat([buf.subarray(0, at), ins, buf.subarray(Math.min(buf.length, at + remove))])
}

type Mutator = (random: Random, buf: Buffer) => Buffer

/** Named so that a failing case can say which mutations made it. */
export const PAYLOAD_MUTATORS: Record<string, Mutator> = {
  bitFlip (random, buf) {
    if (buf.length === 0) return buf
    const out = Buffer.from(buf)
    for (let n = 1 + int(random, 4); n > 0; n--) {
      const i = int(random, out.length)
      out[i] = (out[i] as number) ^ (1 << int(random, 8))
    }
    return out
  },
  truncate: (random, buf) => buf.subarray(0, int(random, buf.length + 1)),
  nest (random, buf) {
    // Both sides of the depth limit (MAX_DEPTH 8), and far past it.
    const depth = pick(random, [7, 8, 9, 64, 5_000])
    const [open, close] = random() < 0.5 ? ['[', ']'] : ['{"a":', '}']
    const wrapped = open.repeat(depth) + '1' + close.repeat(depth)
    const numbers = [...buf.toString('latin1').matchAll(NUMBER)]
    if (numbers.length === 0 || random() < 0.3) return Buffer.from(open.repeat(depth) + buf.toString('latin1') + close.repeat(depth), 'latin1')
    const m = pick(random, numbers)
    return spliceBytes(buf, m.index, m[0].length, wrapped)
  },
  edgeNumber (random, buf) {
    const numbers = [...buf.toString('latin1').matchAll(NUMBER)]
    if (numbers.length === 0) return buf
    const m = pick(random, numbers)
    return spliceBytes(buf, m.index, m[0].length, pick(random, EDGE_NUMBERS))
  },
  randomNumber (random, buf) {
    // Often inside the kinds' ranges, so that some mutants are accepted and get stored.
    const numbers = [...buf.toString('latin1').matchAll(NUMBER)]
    if (numbers.length === 0) return buf
    const m = pick(random, numbers)
    const value = random() < 0.5 ? int(random, 120) - 10 : (random() - 0.5) * 10 ** int(random, 12)
    return spliceBytes(buf, m.index, m[0].length, String(value))
  },
  duplicateKey (random, buf) {
    const text = buf.toString('latin1')
    const key = /"([^"\\]*)"\s*:/g
    const keys = [...text.matchAll(key)]
    if (keys.length === 0) return buf
    const k = pick(random, keys)
    const close = text.indexOf('}', k.index)
    if (close < 0) return buf
    return spliceBytes(buf, close, 0, `,"${k[1] ?? ''}":${pick(random, ['1', '"x"', 'null', '{}'])}`)
  },
  reservedKey (random, buf) {
    const at = buf.indexOf('{')
    if (at < 0) return Buffer.from(`{"${pick(random, RESERVED_KEYS)}":{"polluted":1}}`)
    const member = `"${pick(random, RESERVED_KEYS)}":${pick(random, ['{"polluted":1}', '1', '[]', 'null'])}`
    return spliceBytes(buf, at + 1, 0, random() < 0.5 ? member + ',' : member + (buf[at + 1] === 0x7d ? '' : ','))
  },
  badUtf8: (random, buf) => spliceBytes(buf, int(random, buf.length + 1), 0, Buffer.from(pick(random, BAD_UTF8))),
  longString (random, buf) {
    const n = pick(random, [255, 256, 65_535, 20_000, 70_000])
    const text = buf.toString('latin1')
    const strings = [...text.matchAll(/"([^"\\]*)"/g)]
    const filler = pick(random, ['a', 'x', '\\u00e9', ' ', '0'])
    if (strings.length === 0) return spliceBytes(buf, int(random, buf.length + 1), 0, filler.repeat(n))
    const s = pick(random, strings)
    return spliceBytes(buf, s.index + 1, s[0].length - 2, filler.repeat(n))
  },
  token: (random, buf) => spliceBytes(buf, int(random, buf.length + 1), int(random, 3), pick(random, TOKENS)),
  randomBytes (random) {
    const out = Buffer.alloc(int(random, 200))
    for (let i = 0; i < out.length; i++) out[i] = int(random, 256)
    return out
  }
}

/** One to three mutations of `valid`; the names are for the failure message. */
export function mutatePayload (random: Random, valid: Buffer): { payload: Buffer, steps: string[] } {
  const names = Object.keys(PAYLOAD_MUTATORS)
  let payload = valid
  const steps: string[] = []
  for (let n = 1 + int(random, 3); n > 0; n--) {
    const name = pick(random, names)
    payload = (PAYLOAD_MUTATORS[name] as Mutator)(random, payload)
    steps.push(name)
  }
  return { payload, steps }
}

/** Valid payloads of each shipped kind on both channels; times are epoch seconds near `nowS`. */
export function validPayloads (kind: string, nowS: number): Record<'senml' | 'json', string[]> {
  const t = nowS - 30
  switch (kind) {
    case 'crowd': return {
      json: ['{"peopleCount": 42}', `{"peopleCount": 7, "time": ${t}}`, `{"time": "${new Date(t * 1000).toISOString()}", "peopleCount": 100}`],
      senml: ['[{"n":"peopleCount","u":"count","v":42}]', `[{"bn":"urn:dev:fuzz:","bt":${t},"n":"peopleCount","u":"count","v":3},{"n":"peopleCount","t":1,"v":4}]`]
    }
    case 'wastebin': return {
      json: ['{"fillingLevel": 55.5, "battery": 80}', `{"temperature": 21.5, "time": ${t}}`],
      senml: [`[{"bn":"bin:","bt":${t},"n":"fillingLevel","u":"%","v":10},{"n":"temperature","u":"Cel","v":20},{"n":"battery","u":"%EL","v":99,"t":-1}]`, '[{"n":"fillingLevel","v":1}]']
    }
    case 'snuffelfiets': return {
      json: [`{"pm25": 12.5, "pm10": 20, "lat": 52.09, "lon": 5.12, "trip": 7, "time": ${t}}`, '{"temperature": 15, "relativeHumidity": 80}'],
      senml: [`[{"bt":${t},"n":"pm25","u":"ug/m3","v":12},{"n":"lat","u":"lat","v":52.1},{"n":"lon","u":"lon","v":5.1},{"n":"trip","u":"count","v":3}]`]
    }
    default: throw new Error(`no valid payloads for kind ${kind}`)
  }
}

/**
 * What a stored reading of `kind` must satisfy: a field the kind declares, a finite number,
 * within the payload schema's minimum and maximum, whole where the schema says integer.
 * Returns the reason it does not, or undefined.
 */
export function readingViolation (kind: KindDefinition, reading: Pick<Reading, 'field' | 'value'>): string | undefined {
  const { field, value } = reading
  if (!Object.hasOwn(kind.fields, field)) return `field ${field} is not declared for ${kind.id}`
  if (typeof value !== 'number' || !Number.isFinite(value)) return `${field}=${String(value)} is not a finite number`
  const properties = (kind.payloadSchema as { properties?: Record<string, { type?: string, minimum?: number, maximum?: number }> }).properties
  const schema = properties?.[field]
  if (schema === undefined) return `field ${field} has no schema in ${kind.id}`
  if (schema.minimum !== undefined && value < schema.minimum) return `${field}=${value} is below ${schema.minimum}`
  if (schema.maximum !== undefined && value > schema.maximum) return `${field}=${value} is above ${schema.maximum}`
  if (schema.type === 'integer' && !Number.isInteger(value)) return `${field}=${value} is not an integer`
  return undefined
}

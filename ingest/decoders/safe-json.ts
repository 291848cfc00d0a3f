import { SensorstadError } from '../../core/errors.js'
import { fieldLabel, quoteField } from '../field-label.js'

/**
 * A strict JSON parser for sensor payloads (RFC 8259), in one pass over the text so that what
 * we check and what we use cannot differ. `JSON.parse` keeps the last of two duplicate keys
 * while another reader may keep the first, so a message could mean one thing to a check and
 * another to the store; it also gives no depth limit and turns 1e400 into Infinity silently.
 *
 * Objects come back with a null prototype, and the keys `__proto__`, `constructor` and
 * `prototype` are refused at any depth, so no payload can reach an object's prototype chain.
 */

export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject
/** A parsed JSON object: null prototype, own keys only. */
export interface JsonObject { [key: string]: JsonValue }

/** Deepest nesting of arrays and objects accepted: a SenML pack needs 2, a flat object 1. */
export const MAX_DEPTH = 8

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype'])
const HEX4 = /^[0-9A-Fa-f]{4}$/
// `fatal`: RFC 8259 section 8.1 requires UTF-8; a replacement character would hide bad bytes.
// A leading BOM is dropped, which section 8.1 allows a parser to do.
const utf8 = new TextDecoder('utf-8', { fatal: true })

export function isJsonObject (value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Throws INGEST_ERR_MALFORMED, INGEST_ERR_FORBIDDEN_KEY or INGEST_ERR_NOT_FINITE. */
export function parseJson (payload: Uint8Array): JsonValue {
  let text: string
  try {
    text = utf8.decode(payload)
  } catch {
    throw new SensorstadError('INGEST_ERR_MALFORMED', 'Payload is not valid UTF-8 (RFC 8259 section 8.1)')
  }
  const parser = new Parser(text)
  parser.skipSpace()
  const value = parser.value(0, undefined)
  parser.skipSpace()
  if (parser.pos !== text.length) parser.fail()
  return value
}

class Parser {
  pos = 0
  private readonly text: string

  constructor (text: string) {
    this.text = text
  }

  fail (): never {
    // The position, never the text around it: the payload may be personal data.
    throw new SensorstadError('INGEST_ERR_MALFORMED', `Payload is not valid JSON (RFC 8259) at character ${this.pos}`)
  }

  skipSpace (): void {
    // RFC 8259 section 2: ws = space, tab, line feed, carriage return
    let c = this.text.charCodeAt(this.pos)
    while (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) c = this.text.charCodeAt(++this.pos)
  }

  /** `key` is the member name the value belongs to, for naming the field in an error. */
  value (depth: number, key: string | undefined): JsonValue {
    switch (this.text[this.pos]) {
      case '{': return this.object(depth + 1)
      case '[': return this.array(depth + 1)
      case '"': return this.string()
      case 't': return this.literal('true', true)
      case 'f': return this.literal('false', false)
      case 'n': return this.literal('null', null)
      default: return this.number(key)
    }
  }

  private enter (depth: number): void {
    if (depth > MAX_DEPTH) {
      throw new SensorstadError('INGEST_ERR_MALFORMED', `Payload nests arrays and objects deeper than ${MAX_DEPTH} levels`)
    }
    this.pos++
    this.skipSpace()
  }

  private object (depth: number): JsonObject {
    this.enter(depth)
    const object: JsonObject = Object.create(null)
    if (this.text[this.pos] === '}') {
      this.pos++
      return object
    }
    for (;;) {
      if (this.text[this.pos] !== '"') this.fail()
      const key = this.string()
      if (FORBIDDEN_KEYS.has(key)) {
        throw new SensorstadError('INGEST_ERR_FORBIDDEN_KEY', `Key ${quoteField(key)} is reserved`, key)
      }
      // RFC 8259 section 4: names SHOULD be unique; receivers disagree on duplicates, so refuse them.
      if (Object.hasOwn(object, key)) {
        throw new SensorstadError('INGEST_ERR_MALFORMED', `Key ${quoteField(key)} appears twice in one object`, fieldLabel(key))
      }
      this.skipSpace()
      if (this.text[this.pos] !== ':') this.fail()
      this.pos++
      this.skipSpace()
      object[key] = this.value(depth, key)
      this.skipSpace()
      const next = this.text[this.pos]
      if (next === '}') {
        this.pos++
        return object
      }
      if (next !== ',') this.fail()
      this.pos++
      this.skipSpace()
    }
  }

  private array (depth: number): JsonValue[] {
    this.enter(depth)
    const array: JsonValue[] = []
    if (this.text[this.pos] === ']') {
      this.pos++
      return array
    }
    for (;;) {
      array.push(this.value(depth, undefined))
      this.skipSpace()
      const next = this.text[this.pos]
      if (next === ']') {
        this.pos++
        return array
      }
      if (next !== ',') this.fail()
      this.pos++
      this.skipSpace()
    }
  }

  private string (): string {
    // RFC 8259 section 7. A loop rather than one regular expression: backtracking over a long
    // string would cost stack in proportion to the payload.
    const text = this.text
    const start = this.pos
    let i = start + 1
    let escaped = false
    for (;;) {
      const c = text.charCodeAt(i)
      if (c === 0x22) break
      if (c === 0x5c) {
        escaped = true
        const e = text[i + 1]
        if (e === 'u' && HEX4.test(text.slice(i + 2, i + 6))) {
          i += 6
        } else if (e !== undefined && e !== 'u' && '"\\/bfnrt'.includes(e)) {
          i += 2
        } else {
          this.pos = i
          this.fail()
        }
      } else if (c < 0x20 || Number.isNaN(c)) {
        // control characters must be escaped; NaN is the end of the text
        this.pos = i
        this.fail()
      } else {
        i++
      }
    }
    this.pos = i + 1
    // the token is now known to be a valid JSON string, so JSON.parse only decodes its escapes
    return escaped ? JSON.parse(text.slice(start, i + 1)) as string : text.slice(start + 1, i)
  }

  private literal<T> (word: string, value: T): T {
    if (!this.text.startsWith(word, this.pos)) this.fail()
    this.pos += word.length
    return value
  }

  private number (key: string | undefined): number {
    const start = this.pos
    this.pos = numberEnd(this.text, start)
    if (this.pos === start) this.fail()
    const value = Number(this.text.slice(start, this.pos))
    // JSON has no Infinity, but a literal beyond the double range (1e400) rounds to it.
    if (!Number.isFinite(value)) {
      throw new SensorstadError('INGEST_ERR_NOT_FINITE', 'A number is beyond the range of a double (IEEE 754)', key === undefined ? undefined : fieldLabel(key))
    }
    return value
  }
}

const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39

/** Past the digits from `i`; `i` itself when there are none. */
function digitsEnd (text: string, i: number): number {
  while (isDigit(text.charCodeAt(i))) i++
  return i
}

/**
 * The end of the longest RFC 8259 section 6 number at `start`, or `start` when there is none:
 * `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`. By hand rather than a sticky regular
 * expression: this runs for every number of every payload, and a match allocates.
 */
export function numberEnd (text: string, start: number): number {
  let i = start
  if (text.charCodeAt(i) === 0x2d) i++
  const c = text.charCodeAt(i)
  if (c === 0x30) i++
  else if (c >= 0x31 && c <= 0x39) i = digitsEnd(text, i + 1)
  else return start
  if (text.charCodeAt(i) === 0x2e && isDigit(text.charCodeAt(i + 1))) i = digitsEnd(text, i + 1)
  const e = text.charCodeAt(i)
  if (e === 0x65 || e === 0x45) {
    let j = i + 1
    const sign = text.charCodeAt(j)
    if (sign === 0x2b || sign === 0x2d) j++
    if (isDigit(text.charCodeAt(j))) i = digitsEnd(text, j)
  }
  return i
}

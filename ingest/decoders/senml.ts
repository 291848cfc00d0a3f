import { SensorstadError } from '../../core/errors.js'
import { fieldLabel, quoteField } from '../field-label.js'
import { isTimeMs, type DecodedGroup, type Decoder } from './decoder.js'
import { isJsonObject, parseJson, type JsonObject } from './safe-json.js'

/**
 * The `senml` channel: a SenML JSON pack (RFC 8428 section 5). Records are resolved against
 * the base fields before them (section 4.6) and grouped by resolved time, one group per
 * distinct time in order of first appearance, records in pack order within a group.
 *
 * The field a record feeds is the last segment of its resolved name, after the last ':' or
 * '/', so a device may send bare names (`peopleCount`) or prefixed ones (`urn:dev:ow:...:pm25`,
 * `<sensorId>:pm25`, `2001:db8::2/temperature`). The prefix is not checked against the sensor:
 * the topic already says which sensor is speaking, and the broker lets it speak only for itself.
 */

/** The highest SenML version understood (RFC 8428 section 4.1: default 10). */
export const SENML_VERSION = 10
/** RFC 8428 section 4.5.3: resolved times below 2**28 seconds are relative to "now". */
export const RELATIVE_TIME_LIMIT_S = 2 ** 28

// RFC 8428 section 4.5.1: the characters a resolved name may hold, and how it must start.
const NAME = /^[A-Za-z0-9][A-Za-z0-9\-:./_]*$/
const VALUE_LABELS = ['v', 'vs', 'vb', 'vd'] as const
// RFC 8428 section 4.3, Table 1
const BASE_LABELS = ['bn', 'bt', 'bu', 'bv', 'bs', 'bver'] as const
const REGULAR_LABELS = ['n', 'u', ...VALUE_LABELS, 's', 't', 'ut'] as const

interface Base {
  bn: string
  bt: number | undefined
  bu: string | undefined
  bv: number
}

export const decodeSenml: Decoder = (payload, now) => {
  const pack = parseJson(payload)
  if (!Array.isArray(pack)) throw senmlError('A SenML pack is a JSON array of records (RFC 8428 section 5)')
  if (pack.length === 0) throw new SensorstadError('INGEST_ERR_EMPTY', 'The SenML pack holds no records')

  // Each base field applies to its record and every later one, until a record sets it again (section 4).
  const base: Base = { bn: '', bt: undefined, bu: undefined, bv: 0 }
  let baseVersion: number | undefined
  let packVersion: number | undefined
  const groups = new Map<number, DecodedGroup>()

  pack.forEach((record, index) => {
    if (!isJsonObject(record)) throw senmlError(`Record ${index} is not a JSON object`)
    // Section 4.4: labels ending in '_' must be understood; we understand none of them.
    for (const label in record) {
      if (label.endsWith('_')) throw senmlError(`Record ${index} uses the must-understand label ${quoteField(label)} (RFC 8428 section 4.4)`, fieldLabel(label))
    }

    const bn = stringField(record, 'bn', index)
    if (bn !== undefined) base.bn = bn
    const bt = numberField(record, 'bt', index)
    if (bt !== undefined) base.bt = bt
    const bu = stringField(record, 'bu', index)
    if (bu !== undefined) base.bu = bu
    const bv = numberField(record, 'bv', index)
    if (bv !== undefined) base.bv = bv
    // Base sum and sums are read for their type only: the store keeps values, not integrals.
    numberField(record, 'bs', index)
    numberField(record, 's', index)
    numberField(record, 'ut', index)

    const bver = numberField(record, 'bver', index)
    if (bver !== undefined) {
      // Section 4.4: a version above the one understood MUST NOT be used.
      if (!Number.isInteger(bver) || bver < 1 || bver > SENML_VERSION) {
        throw senmlError(`Record ${index}: SenML version must be an integer from 1 to ${SENML_VERSION}`, 'bver')
      }
      baseVersion = bver
    }
    // Section 4.4: all records in a pack MUST have the same version.
    const version = baseVersion ?? SENML_VERSION
    packVersion ??= version
    if (version !== packVersion) throw senmlError(`Record ${index} has a different SenML version from the records before it`, 'bver')

    // A record of base fields only sets context for the records after it, as in the example
    // of RFC 8428 section 5.1.7; it is not a record without a value.
    if (!hasAny(record, REGULAR_LABELS) && hasAny(record, BASE_LABELS)) return

    const name = base.bn + (stringField(record, 'n', index) ?? '')
    if (name === '') throw senmlError(`Record ${index} has no name (RFC 8428 section 4.2)`)
    if (!NAME.test(name)) throw senmlError(`Record ${index}: the name holds characters RFC 8428 section 4.5.1 does not allow`, fieldLabel(name))
    const field = name.slice(Math.max(name.lastIndexOf(':'), name.lastIndexOf('/')) + 1)
    if (field === '') throw senmlError(`Record ${index}: the name ends in a separator, so it names no field`, fieldLabel(name))

    const value = recordValue(record, index, base.bv, field)
    const unit = stringField(record, 'u', index) ?? base.bu
    const time = resolveTime(base.bt, numberField(record, 't', index), now, field)

    const key = time ?? now
    let group = groups.get(key)
    if (group === undefined) {
      group = { time, values: Object.create(null), units: Object.create(null) }
      groups.set(key, group)
    }
    if (Object.hasOwn(group.values, field)) {
      throw senmlError(`Field ${quoteField(field)} has two values at the same time`, fieldLabel(field))
    }
    group.values[field] = value
    if (unit !== undefined) group.units[field] = unit
  })
  if (groups.size === 0) throw new SensorstadError('INGEST_ERR_EMPTY', 'The SenML pack holds only base fields, no values')
  return [...groups.values()]
}

function hasAny (record: JsonObject, labels: readonly string[]): boolean {
  for (const label of labels) if (record[label] !== undefined) return true
  return false
}

/**
 * Section 4.2: exactly one of v, vs, vb, vd. A record with only a sum is valid SenML but holds
 * no reading, so it is refused. Strings, booleans and data pass through untouched so that the
 * validator can refuse them with INGEST_ERR_TYPE against the kind's schema.
 */
function recordValue (record: JsonObject, index: number, bv: number, field: string): unknown {
  let present = 0
  for (const label of VALUE_LABELS) if (record[label] !== undefined) present++
  if (present === 0) throw senmlError(`Record ${index} has no value (RFC 8428 section 4.2)`, fieldLabel(field))
  if (present > 1) throw senmlError(`Record ${index} has more than one value field (RFC 8428 section 4.2)`, fieldLabel(field))
  const v = numberField(record, 'v', index)
  if (v !== undefined) {
    // Section 4.5.4: base value plus value; two large doubles can overflow where neither did.
    const resolved = bv + v
    if (!Number.isFinite(resolved)) throw new SensorstadError('INGEST_ERR_NOT_FINITE', `Field ${quoteField(field)} is not a finite number`, fieldLabel(field))
    return resolved
  }
  const vb = record.vb
  if (vb !== undefined && typeof vb !== 'boolean') throw typeError('vb', 'a boolean', index)
  return vb ?? stringField(record, 'vs', index) ?? stringField(record, 'vd', index)
}

/**
 * Section 4.5.3: time = base time + time, each zero when absent; below 2**28 seconds it counts
 * from now, otherwise from the Unix epoch. Both absent is "now", left undefined.
 */
function resolveTime (bt: number | undefined, t: number | undefined, now: number, field: string): number | undefined {
  if (bt === undefined && t === undefined) return undefined
  const seconds = (bt ?? 0) + (t ?? 0)
  const ms = seconds < RELATIVE_TIME_LIMIT_S ? now + Math.round(seconds * 1000) : Math.round(seconds * 1000)
  if (!isTimeMs(ms)) throw new SensorstadError('INGEST_ERR_TIME', `Field ${quoteField(field)} has a time outside the range of dates`, fieldLabel(field))
  return ms
}

// Table 2 of RFC 8428 section 5 gives the JSON type of every label.
function stringField (record: JsonObject, label: string, index: number): string | undefined {
  const value = record[label]
  if (value === undefined || typeof value === 'string') return value
  throw typeError(label, 'a string', index)
}

function numberField (record: JsonObject, label: string, index: number): number | undefined {
  const value = record[label]
  if (value === undefined || typeof value === 'number') return value
  throw typeError(label, 'a number', index)
}

function typeError (label: string, type: string, index: number): SensorstadError {
  return senmlError(`Record ${index}: "${label}" must be ${type} (RFC 8428 section 5, Table 2)`, label)
}

function senmlError (message: string, field?: string): SensorstadError {
  return new SensorstadError('INGEST_ERR_SENML', message, field)
}

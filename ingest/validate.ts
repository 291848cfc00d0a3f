import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'
import { SensorstadError, type ErrorCode } from '../core/errors.js'
import type { KindDefinition } from '../core/kind.js'
import type { Reading } from '../core/reading.js'
import type { DecodedGroup } from './decoders/decoder.js'
import { fieldLabel, quoteField } from './field-label.js'

/**
 * Checks decoded groups against a kind and turns them into readings. A message is accepted or
 * rejected whole: the first problem throws, and no reading of the message goes on, so a sensor
 * never has half a message stored and the other half refused.
 */

export interface ValidateContext {
  sensorId: string
  /** Receive time, epoch milliseconds; also the time of a group without one. */
  now: number
  /** How far past `now` a reading may be, milliseconds (clock skew of devices). */
  maxFutureMs: number
}

export interface KindValidator {
  kind: KindDefinition
  /** Throws SensorstadError; see the module comment. */
  toReadings: (groups: DecodedGroup[], ctx: ValidateContext) => Reading[]
}

// One instance for every kind. Draft 2020-12 because that is what kind payload schemas are
// written in (core/kind.ts). Strict mode refuses schemas with unknown keywords or ambiguous
// types, so a mistake in a kind file stops the boot instead of letting data through.
// allErrors false: the first error is all we report, and it stops at the first.
const ajv = new Ajv2020({ allErrors: false, strict: true })
// ajv-formats is CommonJS; under NodeNext its function is the `default` of the default import.
addFormats.default(ajv)

/** Compiles the kind's payload schema once; ajv also caches by schema object. */
export function compileKind (kind: KindDefinition): KindValidator {
  let validate: ValidateFunction
  try {
    validate = ajv.compile(kind.payloadSchema)
  } catch (err) {
    throw new SensorstadError('REGISTRY_ERR_KIND_INVALID', `Kind ${kind.id}: payloadSchema does not compile: ${(err as Error).message}`)
  }
  const fieldOrder = Object.keys(kind.fields)
  const latenessMs = kind.allowedLatenessS * 1000

  return {
    kind,
    toReadings (groups, ctx) {
      const readings: Reading[] = []
      for (const group of groups) {
        // The field list first, before ajv: ajv may report a missing required field before an
        // extra one, and an undeclared field is the reason that must be counted (DESIGN.md
        // section 5: only declared fields get in). additionalProperties: false says the same.
        // (for...in: the decoders' objects have no prototype, so these are own keys only, and
        // no array is made per message.)
        for (const field in group.values) {
          if (!Object.hasOwn(kind.fields, field)) throw undeclared(field)
          // Before ajv: ajv reports a non-finite number as a wrong type, which would hide the reason.
          const value = group.values[field]
          if (typeof value === 'number' && !Number.isFinite(value)) {
            throw new SensorstadError('INGEST_ERR_NOT_FINITE', `Field ${quoteField(field)} is not a finite number`, fieldLabel(field))
          }
        }
        if (!validate(group.values)) throw schemaError(validate.errors?.[0])
        for (const field in group.units) {
          const unit = group.units[field]
          const declared = kind.fields[field]?.unit
          // Units are compared as written: SenML compares strings byte by byte, so `cel` is not `Cel` (RFC 8428 section 3).
          if (unit !== declared) {
            throw new SensorstadError('INGEST_ERR_UNIT', `Field ${quoteField(field)} is declared in ${JSON.stringify(declared)}`, fieldLabel(field))
          }
        }

        const time = group.time ?? ctx.now
        // DESIGN.md section 6: readings far in the future or older than the lateness are refused.
        if (!Number.isSafeInteger(time)) throw new SensorstadError('INGEST_ERR_TIME', 'Time is not a whole number of milliseconds')
        if (time > ctx.now + ctx.maxFutureMs) throw new SensorstadError('INGEST_ERR_FUTURE', `Time is more than ${ctx.maxFutureMs} ms ahead of the platform clock`)
        if (time < ctx.now - latenessMs) throw new SensorstadError('INGEST_ERR_TOO_LATE', `Time is more than ${kind.allowedLatenessS} s old`)

        // In declaration order, so readings come out the same whatever order the sensor used.
        // Fields marked `internal` or `location` still go out here; the privacy stage after this
        // one drops or coarsens them (DESIGN.md section 5).
        for (const field of fieldOrder) {
          const value = group.values[field]
          if (value === undefined) continue
          // Readings hold numbers only; a kind whose schema allowed anything else could not be stored.
          if (typeof value !== 'number') throw new SensorstadError('INGEST_ERR_TYPE', `Field ${quoteField(field)} is not a number`, field)
          readings.push({ sensorId: ctx.sensorId, kind: kind.id, field, time, value })
        }
      }
      return readings
    }
  }
}

const CODES: Record<string, ErrorCode> = {
  additionalProperties: 'INGEST_ERR_UNDECLARED_FIELD',
  type: 'INGEST_ERR_TYPE',
  minimum: 'INGEST_ERR_OUT_OF_RANGE',
  maximum: 'INGEST_ERR_OUT_OF_RANGE',
  exclusiveMinimum: 'INGEST_ERR_OUT_OF_RANGE',
  exclusiveMaximum: 'INGEST_ERR_OUT_OF_RANGE',
  multipleOf: 'INGEST_ERR_OUT_OF_RANGE',
  enum: 'INGEST_ERR_OUT_OF_RANGE',
  const: 'INGEST_ERR_OUT_OF_RANGE',
  // A required field missing or no field at all: the message holds no reading of the kind.
  required: 'INGEST_ERR_EMPTY',
  minProperties: 'INGEST_ERR_EMPTY',
  maxProperties: 'INGEST_ERR_TOO_MANY'
}

function schemaError (error: ErrorObject | undefined): SensorstadError {
  if (error === undefined) return new SensorstadError('INGEST_ERR_TYPE')
  if (error.keyword === 'additionalProperties') return undeclared(String(error.params.additionalProperty))
  const code = CODES[error.keyword] ?? 'INGEST_ERR_TYPE'
  if (error.keyword === 'required') {
    const field = String(error.params.missingProperty)
    return new SensorstadError(code, `Field ${quoteField(field)} is required`, fieldLabel(field))
  }
  const field = topLevelField(error.instancePath)
  const subject = field === undefined ? 'Payload' : `Field ${quoteField(field)}`
  // ajv's message names the schema's limit, never the value it was given.
  return new SensorstadError(code, `${subject} ${error.message ?? 'does not match the kind'}`, field === undefined ? undefined : fieldLabel(field))
}

function undeclared (field: string): SensorstadError {
  return new SensorstadError('INGEST_ERR_UNDECLARED_FIELD', `Field ${quoteField(field)} is not declared for this kind`, fieldLabel(field))
}

/** `/pm25` or `/pm25/0` to `pm25` (RFC 6901 escapes undone); undefined for the root. */
function topLevelField (instancePath: string): string | undefined {
  const segment = instancePath.split('/')[1]
  return segment === undefined || segment === '' ? undefined : segment.replace(/~1/g, '/').replace(/~0/g, '~')
}

import { readFileSync } from 'node:fs'
import { Ajv, type ValidateFunction } from 'ajv'
import { kindDefinitionSchema, type KindDefinition } from '../../core/kind.js'

/**
 * The kind definitions the platform validates against (registry/kinds/*.json), so the
 * simulator's payloads are checked against the real field list, units and ranges rather than
 * against a copy kept in the tests.
 */
const definitions = new Map<string, KindDefinition>()

export function kindDefinition (kind: string): KindDefinition {
  let definition = definitions.get(kind)
  if (definition === undefined) {
    const text = readFileSync(new URL(`../../registry/kinds/${kind}.json`, import.meta.url), 'utf8')
    definition = kindDefinitionSchema.parse(JSON.parse(text))
    definitions.set(kind, definition)
  }
  return definition
}

const ajv = new Ajv({ allErrors: true })
const validators = new Map<string, ValidateFunction>()

/** Schema violations of one flat reading object (without `time`), as `path message` strings. */
export function payloadErrors (kind: string, reading: Record<string, unknown>): string[] {
  let validate = validators.get(kind)
  if (validate === undefined) {
    validate = ajv.compile(kindDefinition(kind).payloadSchema)
    validators.set(kind, validate)
  }
  return validate(reading) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`)
}

/** Keys of a reading that the kind does not declare. */
export function undeclaredKeys (kind: string, reading: Record<string, unknown>): string[] {
  const fields = kindDefinition(kind).fields
  return Object.keys(reading).filter((key) => !Object.hasOwn(fields, key))
}

interface SenmlRecord {
  bn?: string
  bt?: number
  n: string
  u?: string
  v?: number
}

/**
 * A SenML pack (RFC 8428) as one flat reading, after checking what the platform checks: the
 * base name is `{sensorId}:`, a base time is given, and every unit is the kind's declared unit.
 */
export function senmlReading (kind: string, sensorId: string, body: string): { timeMs: number, reading: Record<string, number> } {
  const pack = JSON.parse(body) as SenmlRecord[]
  if (!Array.isArray(pack) || pack.length === 0) throw new Error('not a non-empty SenML pack')
  if (pack[0]!.bn !== `${sensorId}:`) throw new Error(`base name ${pack[0]!.bn} is not ${sensorId}:`)
  if (typeof pack[0]!.bt !== 'number') throw new Error('no base time')
  const fields = kindDefinition(kind).fields
  const reading: Record<string, number> = {}
  for (const record of pack) {
    const spec = fields[record.n]
    if (spec === undefined) throw new Error(`undeclared field ${record.n}`)
    if (record.u !== spec.unit) throw new Error(`${record.n} in ${record.u}, declared ${spec.unit}`)
    if (typeof record.v !== 'number') throw new Error(`${record.n} has no numeric value`)
    reading[record.n] = record.v
  }
  return { timeMs: pack[0]!.bt * 1000, reading }
}

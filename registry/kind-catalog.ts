import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { SensorstadError } from '../core/errors.js'
import { kindDefinitionSchema, type KindDefinition } from '../core/kind.js'

/** Folder of the kind definition files that ship with the platform. */
export const BUILT_IN_KINDS_DIR = new URL('./kinds/', import.meta.url).pathname

export type KindCatalog = ReadonlyMap<string, KindDefinition>

/**
 * Reads every `*.json` kind definition in `dir`. A definition whose payload schema and field
 * list disagree stops the boot: the field list is what residents are told is collected, so
 * it must be exactly what the schema lets in.
 */
export function loadKinds (dir: string = BUILT_IN_KINDS_DIR): KindCatalog {
  const kinds = new Map<string, KindDefinition>()
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    const path = join(dir, file)
    let json: unknown
    try {
      json = JSON.parse(readFileSync(path, 'utf8'))
    } catch (err) {
      throw new SensorstadError('REGISTRY_ERR_KIND_INVALID', `${path}: not valid JSON (${(err as Error).message})`)
    }
    const parsed = kindDefinitionSchema.safeParse(json)
    if (!parsed.success) {
      throw new SensorstadError('REGISTRY_ERR_KIND_INVALID', `${path}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`)
    }
    checkConsistent(parsed.data, path)
    if (kinds.has(parsed.data.id)) throw new SensorstadError('REGISTRY_ERR_KIND_INVALID', `${path}: kind ${parsed.data.id} is defined twice`)
    kinds.set(parsed.data.id, parsed.data)
  }
  return kinds
}

/**
 * Words in a field name that mean the field would hold an identifier or free text (privacy
 * rule 1): a kind that declares one cannot be loaded, so no sensor of it can be registered.
 * Field names are camelCase; `trip` or `temperature` never split into one of these.
 */
const IDENTIFYING_WORDS = new Set([
  'mac', 'address', 'imei', 'imsi', 'msisdn', 'iccid', 'ssid', 'bssid', 'rssi', 'bluetooth', 'wifi',
  'email', 'mail', 'phone', 'name', 'user', 'person', 'plate', 'licence', 'license', 'bsn',
  'ip', 'ipv4', 'ipv6', 'uuid', 'guid', 'id', 'device', 'serial', 'token', 'face', 'image', 'photo',
  'text', 'comment', 'note', 'message', 'description', 'track', 'dwell'
])

export function identifyingWord (fieldName: string): string | undefined {
  return fieldName.split(/(?=[A-Z])|[_\d]+/).map((w) => w.toLowerCase()).find((w) => IDENTIFYING_WORDS.has(w))
}

function checkConsistent (kind: KindDefinition, path: string): void {
  const schema = kind.payloadSchema as { type?: unknown, additionalProperties?: unknown, properties?: Record<string, unknown> }
  const problem = (message: string): never => { throw new SensorstadError('REGISTRY_ERR_KIND_INVALID', `${path}: ${message}`) }
  if (schema.type !== 'object') problem('payloadSchema.type must be "object"')
  if (schema.additionalProperties !== false) problem('payloadSchema.additionalProperties must be false: only declared fields may get in')
  for (const name of Object.keys(kind.fields)) {
    const word = identifyingWord(name)
    if (word !== undefined) problem(`field ${name}: "${word}" names an identifier or free text, which this platform refuses to collect (privacy rule 1)`)
  }
  const declared = Object.keys(kind.fields).sort()
  const properties = Object.keys(schema.properties ?? {}).sort()
  // Compared as lists, not joined strings: fields a and b must not match one property "a,b".
  if (declared.length !== properties.length || declared.some((name, i) => name !== properties[i])) {
    problem(`fields (${declared.join(', ')}) and payloadSchema.properties (${properties.join(', ')}) must name the same fields`)
  }
  for (const [name, property] of Object.entries(schema.properties ?? {})) {
    const type = (property as { type?: unknown }).type
    if (type !== 'number' && type !== 'integer') problem(`field ${name}: only numeric fields are stored; type is ${String(type)}`)
  }
}

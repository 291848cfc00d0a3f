import { ENTITY_SETS } from './entity-sets.js'

/**
 * The service root (OGC 18-088 section 9.2.1): the entity sets and their URLs, and in
 * `serverSettings.conformance` the conformance classes (Annex A) this read-only subset meets.
 * Create, update, delete, MQTT, batch and data-array requests are not offered.
 */
export const CONFORMANCE = [
  'http://www.opengis.net/spec/iot_sensing/1.1/req/resource-path/resource-path-to-entities',
  'http://www.opengis.net/spec/iot_sensing/1.1/req/request-data'
] as const

export function rootDocument (base: string): Record<string, unknown> {
  return {
    value: ENTITY_SETS.map((name) => ({ name, url: `${base}/${name}` })),
    serverSettings: { conformance: [...CONFORMANCE] }
  }
}

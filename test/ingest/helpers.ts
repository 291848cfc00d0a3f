import { readFileSync } from 'node:fs'
import { kindDefinitionSchema, type KindDefinition } from '../../core/kind.js'

/** A kind as shipped in registry/kinds, parsed by the same schema the registry uses. */
export function loadKind (id: string): KindDefinition {
  const url = new URL(`../../registry/kinds/${id}.json`, import.meta.url)
  return kindDefinitionSchema.parse(JSON.parse(readFileSync(url, 'utf8')))
}

/** A fixed receive time: 2024-06-01T12:00:00Z. */
export const NOW = Date.UTC(2024, 5, 1, 12, 0, 0)

export { errorOf } from '../helpers/error-of.js'

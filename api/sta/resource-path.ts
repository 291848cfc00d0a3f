import { SensorstadError } from '../../core/errors.js'
import { ENTITY_SETS, isEntitySet, NAVIGATION, type EntitySet } from './entity-sets.js'

/**
 * Resource paths of OGC 18-088 section 9.2 this server answers: `/Things`, `/Things('id')`
 * and one navigation step, `/Things('id')/Datastreams`. Ids are strings, so they are quoted
 * (OData: a quote inside is doubled); an unquoted id is taken as written.
 */
export interface ResourcePath {
  set: EntitySet
  id?: string
  nav?: string
}

function unsupported (path: string): never {
  throw new SensorstadError('API_ERR_NOT_FOUND', `No resource ${path}. This server answers /{set}, /{set}('{id}') and /{set}('{id}')/{navigationProperty} for the sets ${ENTITY_SETS.join(', ')}`)
}

export function parseResourcePath (path: string): ResourcePath {
  const segments = path.split('/').filter((s) => s !== '')
  if (segments.length === 0 || segments.length > 2) unsupported(path)
  let decoded: string[]
  try {
    decoded = segments.map((s) => decodeURIComponent(s))
  } catch {
    return unsupported(path)
  }
  const match = /^([A-Za-z]+)(?:\((.+)\))?$/s.exec(decoded[0]!)
  if (match === null || !isEntitySet(match[1]!)) unsupported(path)
  const set = match[1] as EntitySet
  const id = match[2] === undefined ? undefined : unquote(match[2])
  if (decoded.length === 1) return id === undefined ? { set } : { set, id }
  const nav = decoded[1]!
  if (id === undefined || !Object.hasOwn(NAVIGATION[set], nav)) unsupported(path)
  return { set, id, nav }
}

function unquote (literal: string): string {
  const quoted = /^'((?:[^']|'')*)'$/s.exec(literal)
  return quoted === null ? literal : quoted[1]!.replaceAll("''", "'")
}

export function entityPath (set: EntitySet, id: string): string {
  return `${set}('${id.replaceAll("'", "''")}')`
}

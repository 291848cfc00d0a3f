import { WINDOW_MS } from '../../core/windows.js'
import type { AppDeps } from '../deps.js'
import { cellFeature, type Catalogue } from './catalogue.js'
import { NAVIGATION, PROPERTIES, type Entity, type EntitySet } from './entity-sets.js'
import { matchesFilter, timeBounds } from './filter-eval.js'
import type { FilterNode } from './filter-parser.js'
import { observationsOf, type ObservationRange } from './observations.js'
import type { QueryOptions } from './query-options.js'

/**
 * Answers resource paths over the catalogue and the stores: a whole set, one entity by id,
 * the entities one navigation step away, and one page of a collection after $filter and
 * $orderby. Collections are small (the register) or bounded by a time range (Observations),
 * so filtering and ordering happen here rather than in the stores.
 */
export interface StaContext {
  deps: AppDeps
  catalogue: Catalogue
  /** Epoch ms the paging sequence started at (see observations.ts). */
  asOf: number
}

/** Observations without a time bound in $filter cover this far back from the newest, ms. */
export const DEFAULT_HORIZON_MS = 7 * 86_400_000

export function observationRange (filter: FilterNode | undefined, asOf: number): ObservationRange {
  const bounds = timeBounds(filter, WINDOW_MS['1h'])
  const to = bounds.to ?? asOf + 1
  return { from: bounds.from ?? to - DEFAULT_HORIZON_MS, to }
}

export async function entitySet (ctx: StaContext, set: EntitySet, filter: FilterNode | undefined): Promise<Entity[]> {
  if (set === 'Observations') return observationsOf(ctx.deps, [...ctx.catalogue.Datastreams.values()], observationRange(filter, ctx.asOf), ctx.asOf)
  const fixed = [...ctx.catalogue[set].values()]
  if (set !== 'FeaturesOfInterest') return fixed
  // Grid cells are features only where a cell x hour was published in the default horizon.
  const grid = [...ctx.catalogue.Datastreams.values()].filter((ds) => ds.source?.mode === 'grid')
  const observations = await observationsOf(ctx.deps, grid, observationRange(undefined, ctx.asOf), ctx.asOf)
  const cells = [...new Set(observations.flatMap((o) => o.links.FeatureOfInterest ?? []))]
  return [...fixed, ...cells.flatMap((cell) => cellFeature(ctx.catalogue, cell) ?? [])]
}

export async function entityById (ctx: StaContext, set: EntitySet, id: string): Promise<Entity | undefined> {
  if (set === 'FeaturesOfInterest') return ctx.catalogue.FeaturesOfInterest.get(id) ?? cellFeature(ctx.catalogue, id)
  if (set !== 'Observations') return ctx.catalogue[set].get(id)
  // `{datastream}:{time}`, or `{datastream}:{cell}:{time}` for the grid; epoch ms.
  const ds = [...ctx.catalogue.Datastreams.values()].find((d) => id.startsWith(`${d.id}:`))
  const match = ds === undefined ? null : /^(?:([^:]+):)?(\d{1,15})$/.exec(id.slice(ds.id.length + 1))
  if (ds === undefined || match === null || (match[1] !== undefined) !== (ds.source?.mode === 'grid')) return undefined
  const time = Number(match[2])
  const rows = await observationsOf(ctx.deps, [ds], { from: time, to: time + 1 }, ctx.asOf)
  return rows.find((o) => o.id === id)
}

/** The entities `nav` leads to from each source, by source id. */
export async function related (ctx: StaContext, sources: readonly Entity[], nav: string, filter: FilterNode | undefined): Promise<Map<string, Entity[]>> {
  const out = new Map<string, Entity[]>(sources.map((s) => [s.id, []]))
  if (sources.length === 0) return out
  const target = NAVIGATION[sources[0]!.set][nav]!.set
  if (target === 'Observations') {
    const range = observationRange(filter, ctx.asOf)
    const viaFeature = sources[0]!.set === 'FeaturesOfInterest'
    const streamIds = new Set(sources.flatMap((s) => viaFeature ? s.links.Datastreams ?? [] : [s.id]))
    const streams = [...streamIds].flatMap((id) => ctx.catalogue.Datastreams.get(id) ?? [])
    for (const o of await observationsOf(ctx.deps, streams, range, ctx.asOf)) {
      const key = viaFeature ? o.links.FeatureOfInterest?.[0] : o.links.Datastream?.[0]
      if (key !== undefined) out.get(key)?.push(o)
    }
    return out
  }
  for (const source of sources) {
    const ids = source.links[nav] ?? []
    const found = await Promise.all(ids.map((id) => entityById(ctx, target, id)))
    out.set(source.id, found.filter((e): e is Entity => e !== undefined))
  }
  return out
}

export interface Page { rows: Entity[], count: number, more: boolean }

export function page (entities: readonly Entity[], options: QueryOptions): Page {
  const filter = options.filter
  const matching = filter === undefined ? [...entities] : entities.filter((e) => matchesFilter(filter, (path) => resolve(e, path)))
  const keys = [...options.orderby, { path: 'id', desc: false }]
  matching.sort((a, b) => {
    for (const { path, desc } of keys) {
      const sign = compareValues(sortValue(a, path), sortValue(b, path))
      if (sign !== 0) return desc ? -sign : sign
    }
    return 0
  })
  return { rows: matching.slice(options.skip, options.skip + options.top), count: matching.length, more: options.skip + options.top < matching.length }
}

export function resolve (entity: Entity, path: readonly string[]): unknown {
  const [first, ...rest] = path
  if (first === 'id' || first === '@iot.id') return entity.id
  if (first === undefined || !PROPERTIES[entity.set].includes(first)) return undefined
  let value: unknown = entity.props[first]
  for (const key of rest) {
    if (typeof value !== 'object' || value === null || !Object.hasOwn(value, key)) return undefined
    value = (value as Record<string, unknown>)[key]
  }
  return value
}

function sortValue (entity: Entity, path: string): unknown {
  const value = resolve(entity, [path])
  // An interval sorts by its start, an instant by itself: both are RFC 3339 strings in UTC.
  if ((path === 'phenomenonTime' || path === 'resultTime') && typeof value === 'string') return Date.parse(value.split('/')[0]!)
  return value
}

function compareValues (a: unknown, b: unknown): number {
  if (a === b) return 0
  if (a === undefined || a === null) return -1
  if (b === undefined || b === null) return 1
  if (typeof a === 'number' && typeof b === 'number') return a - b
  const x = String(a)
  const y = String(b)
  return x < y ? -1 : x > y ? 1 : 0
}

import { encodeCursor } from './cursor.js'
import { NAVIGATION, PROPERTIES, type Entity } from './entity-sets.js'
import type { QueryOptions, RawOptions } from './query-options.js'
import { entityPath } from './resource-path.js'
import { page, related, type StaContext } from './sta-query.js'

/**
 * Entities in the SensorThings JSON encoding (OGC 18-088 section 9.2.2): `@iot.id`,
 * `@iot.selfLink`, the properties, and per navigation property a
 * `{name}@iot.navigationLink` or, when expanded, the related entities inline. Built field by
 * field from the set's property list, so an internal field (a Datastream's source) cannot leak.
 */
export async function renderEntities (ctx: StaContext, base: string, rows: readonly Entity[], options: QueryOptions): Promise<Array<Record<string, unknown>>> {
  const expansions = await Promise.all(options.expand.map(async ({ nav, options: nested }) => ({ nav, nested, byId: await related(ctx, rows, nav, nested.filter) })))
  return Promise.all(rows.map(async (entity) => {
    const self = `${base}/${entityPath(entity.set, entity.id)}`
    const out = renderOne(entity, self, options.select)
    for (const { nav, nested, byId } of expansions) {
      const found = byId.get(entity.id) ?? []
      if (!NAVIGATION[entity.set][nav]!.many) {
        out[nav] = found[0] === undefined ? null : renderOne(found[0], `${base}/${entityPath(found[0].set, found[0].id)}`, nested.select)
        continue
      }
      const result = page(found, nested)
      out[nav] = result.rows.map((e) => renderOne(e, `${base}/${entityPath(e.set, e.id)}`, nested.select))
      if (result.more) out[`${nav}@iot.nextLink`] = nextLink(`${self}/${nav}`, nested, ctx.asOf)
    }
    return out
  }))
}

export function renderOne (entity: Entity, self: string, select: readonly string[] | undefined): Record<string, unknown> {
  const keep = (name: string) => select === undefined || select.includes(name)
  const out: Record<string, unknown> = {}
  if (keep('id')) out['@iot.id'] = entity.id
  if (keep('@iot.selfLink')) out['@iot.selfLink'] = self
  for (const name of PROPERTIES[entity.set]) {
    if (keep(name) && entity.props[name] !== undefined) out[name] = entity.props[name]
  }
  for (const nav of Object.keys(NAVIGATION[entity.set])) {
    if (keep(nav)) out[`${nav}@iot.navigationLink`] = `${self}/${nav}`
  }
  return out
}

/** The next page: the same options with `$skip` moved on, in a cursor; `$select` stays readable beside it. */
export function nextLink (url: string, options: QueryOptions, asOf: number): string {
  const raw: RawOptions = { ...options.raw, $skip: String(options.skip + options.top) }
  delete raw.$skiptoken
  const select = raw.$select === undefined ? '' : `$select=${encodeURIComponent(raw.$select)}&`
  return `${url}?${select}$skiptoken=${encodeCursor({ options: raw, asOf })}`
}

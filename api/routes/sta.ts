import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { SensorstadError } from '../../core/errors.js'
import { CatalogueCache } from '../sta/catalogue-cache.js'
import { decodeCursor } from '../sta/cursor.js'
import { NAVIGATION } from '../sta/entity-sets.js'
import { parseQueryOptions, rawOptions, type RawOptions } from '../sta/query-options.js'
import { entityPath, parseResourcePath } from '../sta/resource-path.js'
import { nextLink, renderEntities } from '../sta/render-entities.js'
import { rootDocument } from '../sta/root-document.js'
import { entityById, entitySet, page, related, type StaContext } from '../sta/sta-query.js'

/**
 * A read-only OGC SensorThings API 1.1 subset (OGC 18-088) under /sta/v1.1, generated from
 * the register and the stores with the open-data rules of the REST routes: bins per sensor,
 * crowd counts per zone (public table only), bicycles per grid cell and hour (never per
 * device). The answers are built from allowlisted fields in api/sta/render-entities.ts, not
 * through a response schema: SensorThings documents are open-ended (`properties`, `$select`,
 * `$expand`), which a fixed schema cannot describe.
 */
const PREFIX = '/sta/v1.1'
const SINGLE_ENTITY_OPTIONS = ['$select', '$expand']

const staRoutes: FastifyPluginAsyncZod<{ publicBaseUrl?: string | undefined }> = async (app, opts) => {
  const catalogues = new CatalogueCache(app.deps.registry)
  app.addHook('onClose', async () => { catalogues.close() })
  const baseOf = (request: { protocol: string, host: string }) => `${opts.publicBaseUrl ?? `${request.protocol}://${request.host}`}${PREFIX}`

  app.get(PREFIX, {
    schema: {
      tags: ['open data'],
      summary: 'OGC SensorThings API 1.1 (read-only subset): the service root',
      description: `Things, Locations, Sensors, ObservedProperties, Datastreams, Observations and FeaturesOfInterest under ${PREFIX}/{set}, with $top, $skip, $count, $orderby, $select, $filter and one level of $expand. Waste bins per sensor, crowd counts per zone (15-minute windows, lagged, small counts withheld), bicycles per grid cell and hour.`
    }
  }, async (request, reply) => {
    reply.header('cache-control', 'public, max-age=300')
    return rootDocument(baseOf(request))
  })

  app.get(`${PREFIX}/*`, { schema: { hide: true } }, async (request, reply) => {
    const base = baseOf(request)
    const path = parseResourcePath((request.params as { '*': string })['*'])
    const now = app.deps.now?.() ?? Date.now()
    let raw = rawOptions(request.query as Record<string, unknown>)
    let asOf = now
    if (raw.$skiptoken !== undefined) {
      const cursor = decodeCursor(raw.$skiptoken)
      for (const [key, value] of Object.entries(raw)) {
        if (key !== '$skiptoken' && cursor.options[key] !== value) {
          throw new SensorstadError('API_ERR_VALIDATION', `${key} differs from the one in $skiptoken; follow @iot.nextLink as given`, key)
        }
      }
      raw = cursor.options
      // A forged cursor cannot move the clock forward past the public lag.
      asOf = Math.min(cursor.asOf, now)
    }
    const ctx: StaContext = { deps: app.deps, catalogue: catalogues.get(base.slice(0, -PREFIX.length)), asOf }
    reply.header('cache-control', 'public, max-age=60')

    const source = path.id === undefined ? undefined : await entityById(ctx, path.set, path.id)
    if (path.id !== undefined && source === undefined) {
      throw new SensorstadError('API_ERR_NOT_FOUND', `No ${path.set} with @iot.id '${path.id}'; see ${base}/${path.set}`)
    }
    const navigation = path.nav === undefined ? undefined : NAVIGATION[path.set][path.nav]!
    const targetSet = navigation?.set ?? path.set
    const single = source !== undefined && (navigation === undefined || !navigation.many)
    if (single) refuseCollectionOptions(raw)
    const options = parseQueryOptions(raw, targetSet)

    if (single) {
      const entity = navigation === undefined ? source! : (await related(ctx, [source!], path.nav!, undefined)).get(source!.id)?.[0]
      if (entity === undefined) throw new SensorstadError('API_ERR_NOT_FOUND', `${path.set}('${path.id}') has no ${path.nav}`)
      const [rendered] = await renderEntities(ctx, base, [entity], options)
      return rendered
    }
    const entities = source === undefined
      ? await entitySet(ctx, targetSet, options.filter)
      : (await related(ctx, [source], path.nav!, options.filter)).get(source.id) ?? []
    const result = page(entities, options)
    const url = `${base}/${source === undefined ? targetSet : `${entityPath(source.set, source.id)}/${path.nav!}`}`
    return {
      ...(options.count ? { '@iot.count': result.count } : {}),
      ...(result.more ? { '@iot.nextLink': nextLink(url, options, asOf) } : {}),
      value: await renderEntities(ctx, base, result.rows, options)
    }
  })
}

function refuseCollectionOptions (raw: RawOptions): void {
  for (const key of Object.keys(raw)) {
    if (!SINGLE_ENTITY_OPTIONS.includes(key)) {
      throw new SensorstadError('API_ERR_VALIDATION', `${key} applies to collections; one entity takes ${SINGLE_ENTITY_OPTIONS.join(' and ')}`, key)
    }
  }
}

export default staRoutes

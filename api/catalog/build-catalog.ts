import { createHash } from 'node:crypto'
import type { KindDefinition } from '../../core/kind.js'
import type { Sensor, Zone } from '../../core/sensor.js'
import { WINDOW_MS, type Window } from '../../core/windows.js'
import { CATALOG_TEXT, CONTACT, PUBLISHER } from './publisher.js'
import {
  ACCESS_RIGHTS_PUBLIC, FORMATS, FREQUENCY_CONTINUOUS, LANGUAGE, LICENCE_CC0, LICENCE_TYPE_PUBLIC_DOMAIN,
  OPENAPI_3_1, PREFIXES, SENSORTHINGS_1_1, THEME, THEMES_BY_DATA_MODEL, type Format
} from './vocabulary.js'

/**
 * The open-data catalog as DCAT-AP-NL 3.0 (Geonovum, 2024) in JSON-LD, built from the register
 * on every request so it cannot disagree with it: one dcat:Dataset per sensor kind and one per
 * crowd zone, their distributions (the open API, the SensorThings service, the bulk files),
 * and the two dcat:DataService entries. Turtle is serialised from this same document
 * (`catalog-to-turtle.ts`), never written twice.
 *
 * Every node has an IRI (no blank nodes), made only from the base URL and register ids, so
 * identifiers are stable across requests and restarts and a harvester can track a dataset.
 * They are hash IRIs of the catalog document itself, so each one dereferences to `/catalog`.
 *
 * Mandatory per class (DCAT-AP 3.0 plus the DCAT-AP-NL 3.0 SHACL shapes, shapes/300):
 * - Catalog: dct:title, dct:description, dct:publisher (AP); dcat:contactPoint 1..1, dcat:dataset 1..n (NL).
 * - Dataset: dct:title, dct:description (AP); dct:accessRights 1..1, dcat:contactPoint 1..1,
 *   dct:creator 1..n, dct:identifier 1..1, dct:publisher 1..1, dcat:theme 1..n (NL).
 * - Distribution: dcat:accessURL 1..1 (AP, max 1 in NL); dct:license 1..1 (NL).
 * - DataService: dct:title, dcat:endpointURL (AP); dct:accessRights, dcat:contactPoint 1..1,
 *   dct:description, dcat:endpointDescription 1..1, dct:identifier 1..1, dct:license,
 *   dct:publisher 1..1, dcat:theme (NL).
 * - Agent: foaf:name (AP).
 */

export interface CatalogSource {
  /** Absolute, without a trailing slash: PUBLIC_BASE_URL, or the request's origin when unset. */
  baseUrl: string
  kinds: Iterable<KindDefinition>
  zones: readonly Zone[]
  sensors: readonly Sensor[]
}

export interface JsonLdNode {
  '@id': string
  '@type': string | string[]
  [property: string]: unknown
}

export interface CatalogDocument {
  '@context': typeof PREFIXES
  '@graph': JsonLdNode[]
}

type Ref = { '@id': string }
const ref = (iri: string): Ref => ({ '@id': iri })
const text = (value: string, language: string) => ({ '@value': value, '@language': language })
const typed = (value: string, datatype: string) => ({ '@value': value, '@type': datatype })

/** A window as an xsd:duration (dcat:temporalResolution). */
function duration (window: Window): string {
  const minutes = WINDOW_MS[window] / 60_000
  if (minutes % 1440 === 0) return `P${minutes / 1440}D`
  if (minutes % 60 === 0) return `PT${minutes / 60}H`
  return `PT${minutes}M`
}

function latest (times: readonly string[]): string | undefined {
  return times.length === 0 ? undefined : times.reduce((a, b) => (a > b ? a : b))
}

interface Access {
  /** Distribution id suffix, stable: it is part of the distribution's IRI. */
  id: string
  what: string
  format: Format
  url: string
  service: Ref
}

export function buildCatalog (source: CatalogSource): CatalogDocument {
  const base = source.baseUrl.replace(/\/+$/, '')
  const catalogIri = `${base}/catalog`
  const local = (name: string): string => `${catalogIri}#${name}`
  const apiService = ref(local('service-api'))
  const staService = ref(local('service-sta'))
  const contact = ref(local('contact'))
  const publisher = ref(PUBLISHER.iri)
  const licence = ref(LICENCE_CC0)
  const publicRights = ref(ACCESS_RIGHTS_PUBLIC)

  const agents = new Map<string, JsonLdNode>()
  /** Sensor owners from the register become the datasets' creators (DCAT-AP-NL: dct:creator 1..n). */
  const creatorsOf = (sensors: readonly Sensor[]): Ref[] => {
    const owners = [...new Set(sensors.map((s) => s.owner))].sort()
    if (owners.length === 0) return [publisher]
    return owners.map((owner) => {
      if (owner === PUBLISHER.name) return publisher
      // Slug for people reading the IRI, digest so two owners never share one.
      const slug = owner.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '')
      const iri = local(`agent-${slug}-${createHash('sha256').update(owner).digest('hex').slice(0, 8)}`)
      agents.set(iri, { '@id': iri, '@type': 'foaf:Agent', 'foaf:name': owner })
      return ref(iri)
    })
  }

  const common = {
    'dct:publisher': publisher,
    'dcat:contactPoint': contact,
    'dct:accessRights': publicRights
  }
  const datasets: JsonLdNode[] = []
  const distributions: JsonLdNode[] = []
  const locations: JsonLdNode[] = []
  const servedBy = { api: [] as Ref[], sta: [] as Ref[] }

  const distribute = (datasetIri: string, title: string, accesses: readonly Access[]): Ref[] => accesses.map((a) => {
    const iri = `${datasetIri}-${a.id}`
    const format = FORMATS[a.format]
    distributions.push({
      '@id': iri,
      '@type': 'dcat:Distribution',
      'dct:title': text(`${title}: ${a.what} (${format.label})`, 'en'),
      'dcat:accessURL': ref(a.url),
      'dcat:accessService': a.service,
      'dct:format': ref(format.fileType),
      'dcat:mediaType': ref(format.mediaType),
      'dct:license': licence
    })
    return ref(iri)
  })

  const publicSensors = source.sensors.filter((s) => s.public)
  const countsKinds: KindDefinition[] = []

  for (const kind of source.kinds) {
    const iri = local(`dataset-kind-${kind.id}`)
    const api = (path: string): string => `${base}${path}`
    const accesses: Access[] = []
    let temporalResolution: string | undefined
    let spatialResolution: number | undefined
    // Which open route serves a kind follows the privacy rules (api/open-data.ts): counts of
    // people only per zone (/v1/crowd), mobile kinds only per grid cell (/v1/grid), every
    // other kind per sensor (/v1/observations and SensorThings).
    if (kind.privacy.counts !== undefined) {
      countsKinds.push(kind)
      temporalResolution = duration(kind.privacy.counts.minPublicWindow)
      accesses.push(
        { id: 'crowd-json', what: 'people per zone and window', format: 'json', url: api('/v1/crowd'), service: apiService },
        { id: 'crowd-csv', what: 'people per zone and window', format: 'csv', url: api('/v1/crowd?format=csv'), service: apiService }
      )
    } else if (kind.privacy.grid !== undefined) {
      temporalResolution = duration('1h')
      spatialResolution = kind.privacy.grid.cellM
      accesses.push(
        { id: 'grid-json', what: 'per grid cell and hour', format: 'json', url: api(`/v1/grid?kind=${kind.id}`), service: apiService },
        { id: 'grid-geojson', what: 'per grid cell and hour', format: 'geojson', url: api(`/v1/grid?kind=${kind.id}&format=geojson`), service: apiService },
        { id: 'grid-csv', what: 'per grid cell and hour', format: 'csv', url: api(`/v1/grid?kind=${kind.id}&format=csv`), service: apiService }
      )
    } else if (kind.placement === 'fixed') {
      accesses.push(
        { id: 'observations-json', what: 'observations per sensor', format: 'json', url: api(`/v1/observations?kind=${kind.id}`), service: apiService },
        { id: 'observations-csv', what: 'observations per sensor', format: 'csv', url: api(`/v1/observations?kind=${kind.id}&format=csv`), service: apiService }
      )
    }
    // SensorThings publishes the same shapes (api/sta/catalogue.ts): a Thing per zone, per
    // public sensor, or one per mobile kind with cell x hour Datastreams.
    if (accesses.length > 0) {
      accesses.push({ id: 'sensorthings', what: 'OGC SensorThings API', format: 'json', url: api('/sta/v1.1'), service: staService })
      servedBy.sta.push(ref(iri))
    }
    // Day files of what the open routes publish (api/routes/exports.ts). The access URL is the
    // kind's file list (with sizes and sha256); a file's own URL is new every day, so it is no
    // dcat:downloadURL (0..1) of a lasting distribution.
    accesses.push(
      { id: 'export-parquet', what: 'daily files', format: 'parquet', url: api(`/v1/exports?kind=${kind.id}`), service: apiService },
      { id: 'export-csv', what: 'daily files', format: 'csv', url: api(`/v1/exports?kind=${kind.id}`), service: apiService }
    )
    servedBy.api.push(ref(iri))

    const ofKind = publicSensors.filter((s) => s.kind === kind.id)
    const openFields = Object.entries(kind.fields).filter(([, f]) => f.privacy === 'open').map(([name]) => name)
    const modified = latest(ofKind.map((s) => s.updatedAt))
    datasets.push({
      '@id': iri,
      '@type': 'dcat:Dataset',
      'dct:identifier': iri,
      'dct:title': text(kind.title, 'en'),
      'dct:description': text(kind.description, 'en'),
      ...common,
      'dct:creator': creatorsOf(ofKind),
      'dcat:theme': [...(THEMES_BY_DATA_MODEL[kind.dataModel] ?? []), THEME.REGI].map(ref),
      'dct:accrualPeriodicity': ref(FREQUENCY_CONTINUOUS),
      'dct:language': ref(LANGUAGE.ENG),
      'dcat:keyword': [kind.id, kind.dataModel, ...openFields].map((k) => text(k, 'en')),
      'dcat:landingPage': ref(`${base}/sensors?kind=${encodeURIComponent(kind.id)}`),
      'foaf:page': ref(`${base}/v1/kinds/${kind.id}`),
      ...(temporalResolution !== undefined ? { 'dcat:temporalResolution': typed(temporalResolution, 'xsd:duration') } : {}),
      ...(spatialResolution !== undefined ? { 'dcat:spatialResolutionInMeters': typed(String(spatialResolution), 'xsd:decimal') } : {}),
      ...(modified !== undefined ? { 'dct:modified': typed(modified, 'xsd:dateTime') } : {}),
      'dcat:distribution': distribute(iri, kind.title, accesses)
    })
  }

  // Crowd counts are published per zone, so each zone is a dataset of its own: the unit a
  // resident or researcher looks for ("how busy is Vredenburg"), with its polygon as coverage.
  for (const zone of countsKinds.length > 0 ? source.zones : []) {
    const iri = local(`dataset-zone-${zone.id}`)
    const location = local(`dataset-zone-${zone.id}-location`)
    const monitors = publicSensors.filter((s) => s.zoneId === zone.id && countsKinds.some((k) => k.id === s.kind))
    const kind = countsKinds[0]!
    const q = `zone=${encodeURIComponent(zone.id)}`
    const modified = latest([zone.updatedAt, ...monitors.map((s) => s.updatedAt)])!
    datasets.push({
      '@id': iri,
      '@type': 'dcat:Dataset',
      'dct:identifier': iri,
      'dct:title': [text(`Drukte in ${zone.name}`, 'nl'), text(`Crowd in ${zone.name}`, 'en')],
      'dct:description': [
        text(`Aantal mensen in zone ${zone.name} per tijdvak, geteld door druktemonitors; kleine aantallen worden niet gepubliceerd.`, 'nl'),
        text(`People in zone ${zone.name} per window, counted by crowd monitors; small counts are withheld.`, 'en')
      ],
      ...common,
      'dct:creator': creatorsOf(monitors),
      'dcat:theme': [...(THEMES_BY_DATA_MODEL[kind.dataModel] ?? []), THEME.REGI].map(ref),
      'dct:accrualPeriodicity': ref(FREQUENCY_CONTINUOUS),
      'dct:language': [ref(LANGUAGE.NLD), ref(LANGUAGE.ENG)],
      'dcat:keyword': [zone.id, zone.name, kind.id].map((k) => text(k, 'en')),
      'dcat:landingPage': ref(`${base}/sensors?zone=${encodeURIComponent(zone.id)}`),
      'foaf:page': ref(`${base}/v1/zones/${zone.id}`),
      'dct:spatial': ref(location),
      'dct:relation': ref(local(`dataset-kind-${kind.id}`)),
      ...(kind.privacy.counts !== undefined ? { 'dcat:temporalResolution': typed(duration(kind.privacy.counts.minPublicWindow), 'xsd:duration') } : {}),
      'dct:modified': typed(modified, 'xsd:dateTime'),
      'dcat:distribution': distribute(iri, `Crowd in ${zone.name}`, [
        { id: 'crowd-json', what: 'people per window', format: 'json', url: `${base}/v1/crowd?${q}`, service: apiService },
        { id: 'crowd-csv', what: 'people per window', format: 'csv', url: `${base}/v1/crowd?${q}&format=csv`, service: apiService }
      ])
    })
    // GeoJSON literal (GeoSPARQL 1.1 section 8.4.4), lon/lat WGS 84 as registered.
    locations.push({ '@id': location, '@type': 'dct:Location', 'locn:geometry': typed(JSON.stringify(zone.geometry), 'geosparql:geoJSONLiteral') })
    servedBy.api.push(ref(iri))
  }

  const allThemes = [...new Set(datasets.flatMap((d) => (d['dcat:theme'] as Ref[]).map((t) => t['@id'])))].sort().map(ref)
  const service = (iri: string, fields: Record<string, unknown>): JsonLdNode => ({
    '@id': iri,
    '@type': 'dcat:DataService',
    'dct:identifier': iri,
    ...fields,
    ...common,
    'dct:creator': publisher,
    'dct:license': licence,
    'dcat:theme': allThemes,
    'dct:language': [ref(LANGUAGE.NLD), ref(LANGUAGE.ENG)]
  })
  const services = [
    service(apiService['@id'], {
      'dct:title': [text('Sensorstad open-data-API', 'nl'), text('Sensorstad open data API', 'en')],
      'dct:description': [
        text('REST-API over het openbare sensorregister en de metingen: historie, aggregaten, drukte per zone, luchtkwaliteit per rastercel en bulkbestanden. Zonder sleutel.', 'nl'),
        text('REST API over the public sensor register and its data: history, aggregates, crowds per zone, air quality per grid cell and bulk files. No key needed.', 'en')
      ],
      'dcat:endpointURL': ref(`${base}/`),
      // OpenAPI 3.1, generated from the same schemas that validate the routes.
      'dcat:endpointDescription': ref(`${base}/docs/json`),
      'dct:conformsTo': ref(OPENAPI_3_1),
      'foaf:page': ref(`${base}/docs`),
      'dcat:keyword': ['open data', 'sensors', 'REST'].map((k) => text(k, 'en')),
      'dcat:servesDataset': servedBy.api
    }),
    service(staService['@id'], {
      'dct:title': [text('Sensorstad SensorThings API', 'nl'), text('Sensorstad SensorThings API', 'en')],
      'dct:description': [
        text('Alleen-lezen OGC SensorThings API 1.1 over dezelfde open data: afvalcontainers per sensor, drukte per zone, luchtkwaliteit per rastercel.', 'nl'),
        text('Read-only OGC SensorThings API 1.1 over the same open data: waste bins per sensor, crowds per zone, air quality per grid cell.', 'en')
      ],
      'dcat:endpointURL': ref(`${base}/sta/v1.1`),
      // The service root document lists the entity sets and conformance classes served (OGC 18-088).
      'dcat:endpointDescription': ref(`${base}/sta/v1.1`),
      'dct:conformsTo': ref(SENSORTHINGS_1_1),
      'dcat:keyword': ['SensorThings', 'OGC'].map((k) => text(k, 'en')),
      'dcat:servesDataset': servedBy.sta
    })
  ]

  const modified = latest([...source.zones.map((z) => z.updatedAt), ...source.sensors.map((s) => s.updatedAt)])
  const catalog: JsonLdNode = {
    '@id': catalogIri,
    '@type': 'dcat:Catalog',
    'dct:identifier': catalogIri,
    'dct:title': [text(CATALOG_TEXT.title.nl, 'nl'), text(CATALOG_TEXT.title.en, 'en')],
    'dct:description': [text(CATALOG_TEXT.description.nl, 'nl'), text(CATALOG_TEXT.description.en, 'en')],
    'dct:publisher': publisher,
    'dct:creator': publisher,
    'dcat:contactPoint': contact,
    'foaf:homepage': ref(`${base}/sensors`),
    'dct:language': [ref(LANGUAGE.NLD), ref(LANGUAGE.ENG)],
    'dct:license': licence,
    'dcat:themeTaxonomy': ref('http://publications.europa.eu/resource/authority/data-theme'),
    ...(modified !== undefined ? { 'dct:modified': typed(modified, 'xsd:dateTime') } : {}),
    'dcat:dataset': datasets.map((d) => ref(d['@id'])),
    'dcat:service': [apiService, staService]
  }

  return {
    '@context': PREFIXES,
    '@graph': [
      catalog,
      ...services,
      ...datasets,
      ...distributions,
      ...locations,
      { '@id': PUBLISHER.iri, '@type': ['foaf:Agent', 'foaf:Organization'], 'foaf:name': text(PUBLISHER.name, 'nl'), 'dct:type': ref(PUBLISHER.type), 'foaf:homepage': ref(PUBLISHER.homepage) },
      ...[...agents.values()].sort((a, b) => a['@id'].localeCompare(b['@id'])),
      { '@id': contact['@id'], '@type': ['vcard:Kind', 'vcard:Organization'], 'vcard:fn': CONTACT.name, 'vcard:hasURL': ref(CONTACT.url) },
      { '@id': LICENCE_CC0, '@type': 'dct:LicenseDocument', 'dct:title': 'CC0 1.0 Universal', 'dct:type': ref(LICENCE_TYPE_PUBLIC_DOMAIN) }
    ]
  }
}

import jsonld from 'jsonld'
import { DataFactory, Parser, Store, type Quad } from 'n3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildCatalog } from '../../api/catalog/build-catalog.js'
import { catalogToQuads } from '../../api/catalog/catalog-to-turtle.js'
import type { KindDefinition } from '../../core/kind.js'
import { api, registerSensor, startTestPlatform, ZONE_VREDENBURG, type TestPlatform } from '../helpers/platform.js'

/**
 * The DCAT-AP-NL 3.0 catalog over the real platform: parsed as RDF (never read as plain JSON),
 * so what is checked is what a harvester sees. The class table is DCAT-AP 3.0's mandatory
 * properties plus those the DCAT-AP-NL 3.0 SHACL shapes (shapes/300) add, with their
 * cardinalities.
 */
const NS = {
  rdf: 'http://www.w3.org/1999/02/22-rdf-syntax-ns#',
  dcat: 'http://www.w3.org/ns/dcat#',
  dct: 'http://purl.org/dc/terms/',
  foaf: 'http://xmlns.com/foaf/0.1/',
  locn: 'http://www.w3.org/ns/locn#',
  vcard: 'http://www.w3.org/2006/vcard/ns#'
}
const EU = 'http://publications.europa.eu/resource/authority/'
const CC0 = 'http://creativecommons.org/publicdomain/zero/1.0/'

const iri = (curie: string): string => {
  const [prefix, local] = curie.split(':') as [keyof typeof NS, string]
  return NS[prefix] + local
}

/** [property, min, max]: max undefined is n. */
type Rule = [string, number, number | undefined]
const MANDATORY: Record<string, Rule[]> = {
  'dcat:Catalog': [
    ['dct:title', 1, undefined], ['dct:description', 1, undefined], ['dct:publisher', 1, 1],
    ['dcat:contactPoint', 1, 1], ['dcat:dataset', 1, undefined]
  ],
  'dcat:Dataset': [
    ['dct:title', 1, undefined], ['dct:description', 1, undefined], ['dct:accessRights', 1, 1],
    ['dcat:contactPoint', 1, 1], ['dct:creator', 1, undefined], ['dct:identifier', 1, 1],
    ['dct:publisher', 1, 1], ['dcat:theme', 1, undefined]
  ],
  'dcat:Distribution': [
    ['dcat:accessURL', 1, 1], ['dct:license', 1, 1], ['dct:format', 0, 1], ['dcat:downloadURL', 0, 1]
  ],
  'dcat:DataService': [
    ['dct:title', 1, undefined], ['dcat:endpointURL', 1, 1], ['dct:accessRights', 1, undefined],
    ['dcat:contactPoint', 1, 1], ['dct:description', 1, undefined], ['dcat:endpointDescription', 1, 1],
    ['dct:identifier', 1, 1], ['dct:license', 1, undefined], ['dct:publisher', 1, 1], ['dcat:theme', 1, undefined]
  ],
  'foaf:Agent': [['foaf:name', 1, undefined]]
}

/** What every value of a property must be typed as, or which list it must come from. */
const RANGES: Array<[string, { type: string } | { prefix: string }]> = [
  ['dct:publisher', { type: 'foaf:Agent' }],
  ['dct:creator', { type: 'foaf:Agent' }],
  ['dcat:contactPoint', { type: 'vcard:Kind' }],
  ['dct:license', { type: 'dct:LicenseDocument' }],
  ['dcat:dataset', { type: 'dcat:Dataset' }],
  ['dcat:distribution', { type: 'dcat:Distribution' }],
  ['dcat:service', { type: 'dcat:DataService' }],
  ['dcat:accessService', { type: 'dcat:DataService' }],
  ['dcat:theme', { prefix: `${EU}data-theme/` }],
  ['dct:format', { prefix: `${EU}file-type/` }],
  ['dct:accessRights', { prefix: `${EU}access-right/` }],
  ['dct:accrualPeriodicity', { prefix: `${EU}frequency/` }],
  ['dct:language', { prefix: `${EU}language/` }]
]

async function jsonLdQuads (text: string): Promise<Quad[]> {
  const nquads = await jsonld.toRDF(JSON.parse(text), { format: 'application/n-quads' })
  return new Parser({ format: 'N-Quads' }).parse(nquads as string)
}

/** One line per triple; the catalog has no blank nodes, so equal sets mean equal graphs. */
const canonical = (quads: Quad[]): string[] => [...new Set(quads.map((q) => `${q.subject.id} ${q.predicate.id} ${q.object.id}`))].sort()

const node = (value: string) => DataFactory.namedNode(value)
const objects = (store: Store, subject: string, curie: string): string[] => store.getObjects(node(subject), node(iri(curie)), null).map((o) => o.value)
const subjectsOf = (store: Store, curie: string): string[] => store.getSubjects(node(iri('rdf:type')), node(iri(curie)), null).map((s) => s.value)
const one = (store: Store, subject: string, curie: string): string => {
  const values = objects(store, subject, curie)
  expect(values, `${subject} ${curie}`).toHaveLength(1)
  return values[0]!
}

describe('GET /catalog (DCAT-AP-NL 3.0)', () => {
  let p: TestPlatform
  let base: string
  let store: Store
  let body: string

  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${base}${path}`, { headers })

  beforeAll(async () => {
    p = await startTestPlatform()
    base = `http://127.0.0.1:${p.httpPort}`
    await registerSensor(p, 'crowd', 'crowd-1')
    await registerSensor(p, 'wastebin', 'bin-1')
    await registerSensor(p, 'wastebin', 'bin-2', { owner: 'HVC Afvalbeheer' })
    await registerSensor(p, 'wastebin', 'bin-3', { owner: 'Geheim BV', public: false })
    await registerSensor(p, 'snuffelfiets', 'bike-1')
    const res = await get('/catalog')
    expect(res.status).toBe(200)
    body = await res.text()
    store = new Store(await jsonLdQuads(body))
  })

  afterAll(async () => { await p?.destroy() })

  it('answers JSON-LD with an @context, cacheable for an hour, with an ETag and CORS', async () => {
    const res = await get('/catalog')
    expect(res.headers.get('content-type')).toMatch(/^application\/ld\+json/)
    expect(res.headers.get('cache-control')).toBe('public, max-age=3600')
    expect(res.headers.get('access-control-allow-origin')).toBe('*')
    expect(res.headers.get('vary')).toMatch(/accept/i)
    const etag = res.headers.get('etag')
    expect(etag).toBeTruthy()
    expect(JSON.parse(await res.text())['@context']).toMatchObject({ dcat: NS.dcat, dct: NS.dct })
    expect((await get('/catalog', { 'if-none-match': etag! })).status).toBe(304)
  })

  for (const [cls, rules] of Object.entries(MANDATORY)) {
    it(`every ${cls} has its mandatory properties`, () => {
      const subjects = subjectsOf(store, cls)
      expect(subjects.length, `no ${cls} at all`).toBeGreaterThan(0)
      for (const subject of subjects) {
        for (const [property, min, max] of rules) {
          const count = objects(store, subject, property).length
          expect(count, `${subject} ${property}`).toBeGreaterThanOrEqual(min)
          if (max !== undefined) expect(count, `${subject} ${property}`).toBeLessThanOrEqual(max)
        }
      }
    })
  }

  it('takes values from the EU vocabularies and types every referenced node', () => {
    for (const [property, range] of RANGES) {
      const quads = store.getQuads(null, node(iri(property)), null, null)
      expect(quads.length, property).toBeGreaterThan(0)
      for (const q of quads) {
        if ('type' in range) expect(subjectsOf(store, range.type), `${q.object.value} (${property})`).toContain(q.object.value)
        else expect(q.object.value, property).toMatch(new RegExp(`^${range.prefix}[A-Z]+$`))
      }
    }
    expect(new Set(store.getObjects(null, node(iri('dct:accessRights')), null).map((o) => o.value))).toEqual(new Set([`${EU}access-right/PUBLIC`]))
    expect(new Set(store.getObjects(null, node(iri('dct:license')), null).map((o) => o.value))).toEqual(new Set([CC0]))
    expect(objects(store, `${base}/catalog`, 'dct:language')).toContain(`${EU}language/NLD`)
    const formats = new Set(store.getObjects(null, node(iri('dct:format')), null).map((o) => o.value.split('/').at(-1)))
    expect(formats).toEqual(new Set(['JSON', 'CSV', 'GEOJSON', 'PARQUET']))
  })

  it('has one dataset per kind in the register, with the routes that publish it', () => {
    const catalogDatasets = objects(store, `${base}/catalog`, 'dcat:dataset')
    const accessUrls = (dataset: string) => objects(store, dataset, 'dcat:distribution').map((d) => one(store, d, 'dcat:accessURL'))
    const formatsOf = (dataset: string) => objects(store, dataset, 'dcat:distribution').map((d) => one(store, d, 'dct:format').split('/').at(-1))
    for (const kind of p.registry.kinds.keys()) {
      const dataset = `${base}/catalog#dataset-kind-${kind}`
      expect(catalogDatasets).toContain(dataset)
      expect(one(store, dataset, 'dct:identifier')).toBe(dataset)
      expect(accessUrls(dataset)).toContain(`${base}/v1/exports?kind=${kind}`)
      expect(accessUrls(dataset)).toContain(`${base}/sta/v1.1`)
      expect(formatsOf(dataset)).toEqual(expect.arrayContaining(['PARQUET', 'CSV', 'JSON']))
    }
    expect(accessUrls(`${base}/catalog#dataset-kind-crowd`)).toEqual(expect.arrayContaining([`${base}/v1/crowd`, `${base}/v1/crowd?format=csv`]))
    expect(accessUrls(`${base}/catalog#dataset-kind-snuffelfiets`)).toContain(`${base}/v1/grid?kind=snuffelfiets&format=geojson`)
    expect(accessUrls(`${base}/catalog#dataset-kind-wastebin`)).toEqual(expect.arrayContaining([`${base}/v1/observations?kind=wastebin`, `${base}/v1/observations?kind=wastebin&format=csv`]))
    // Per-sensor routes would leak what the privacy rules keep per zone or per cell.
    expect(accessUrls(`${base}/catalog#dataset-kind-crowd`).some((u) => u.includes('/v1/observations'))).toBe(false)
    expect(accessUrls(`${base}/catalog#dataset-kind-snuffelfiets`).some((u) => u.includes('/v1/observations'))).toBe(false)
    expect(objects(store, `${base}/catalog#dataset-kind-snuffelfiets`, 'dcat:theme')).toContain(`${EU}data-theme/ENVI`)
  })

  it('links API distributions that answer, and services that point at their descriptions', async () => {
    const urls = store.getObjects(null, node(iri('dcat:accessURL')), null).map((o) => o.value)
      // Exports and SensorThings are separate plugins; their own suites test what they serve.
      .filter((u) => /\/v1\/(observations|crowd|grid)/.test(u))
    expect(urls.length).toBeGreaterThan(5)
    for (const url of new Set(urls)) expect((await fetch(url)).status, url).toBe(200)

    const apiService = `${base}/catalog#service-api`
    expect(objects(store, `${base}/catalog`, 'dcat:service')).toEqual(expect.arrayContaining([apiService, `${base}/catalog#service-sta`]))
    expect(one(store, apiService, 'dcat:endpointDescription')).toBe(`${base}/docs/json`)
    const openapi = await (await fetch(`${base}/docs/json`)).json() as { openapi: string, paths: Record<string, unknown> }
    expect(openapi.openapi).toBe('3.1.0')
    expect(Object.keys(openapi.paths)).toContain('/catalog')
    expect(one(store, `${base}/catalog#service-sta`, 'dcat:endpointURL')).toBe(`${base}/sta/v1.1`)
    expect(objects(store, apiService, 'dcat:servesDataset')).toHaveLength(objects(store, `${base}/catalog`, 'dcat:dataset').length)
  })

  it('names the public sensors\' owners as creators, and the city as publisher', () => {
    const names = (dataset: string) => objects(store, dataset, 'dct:creator').flatMap((a) => objects(store, a, 'foaf:name'))
    expect(names(`${base}/catalog#dataset-kind-wastebin`).sort()).toEqual(['Gemeente Utrecht', 'HVC Afvalbeheer'])
    expect(names(`${base}/catalog#dataset-kind-crowd`)).toEqual(['Gemeente Utrecht'])
    const publishers = new Set(store.getObjects(null, node(iri('dct:publisher')), null).map((o) => o.value))
    expect(publishers.size).toBe(1)
    expect(objects(store, [...publishers][0]!, 'foaf:name')).toEqual(['Gemeente Utrecht'])
  })

  it('has a dataset per crowd zone, covering the zone\'s polygon', () => {
    const dataset = `${base}/catalog#dataset-zone-${ZONE_VREDENBURG.id}`
    expect(objects(store, `${base}/catalog`, 'dcat:dataset')).toContain(dataset)
    const location = one(store, dataset, 'dct:spatial')
    const geometry = store.getObjects(node(location), node(iri('locn:geometry')), null)[0]
    expect(geometry?.termType).toBe('Literal')
    expect(JSON.parse(geometry!.value)).toEqual(ZONE_VREDENBURG.geometry)
    const urls = objects(store, dataset, 'dcat:distribution').map((d) => one(store, d, 'dcat:accessURL'))
    expect(urls).toEqual(expect.arrayContaining([`${base}/v1/crowd?zone=vredenburg`, `${base}/v1/crowd?zone=vredenburg&format=csv`]))
  })

  it('serves the same triples as Turtle at /catalog.ttl and for Accept: text/turtle', async () => {
    const fromJsonLd = canonical(store.getQuads(null, null, null, null))
    const ttl = await get('/catalog.ttl')
    expect(ttl.headers.get('content-type')).toMatch(/^text\/turtle/)
    expect(ttl.headers.get('cache-control')).toBe('public, max-age=3600')
    const text = await ttl.text()
    expect(text).toMatch(/@prefix dcat: <http:\/\/www\.w3\.org\/ns\/dcat#>/)
    expect(canonical(new Parser({ format: 'text/turtle' }).parse(text))).toEqual(fromJsonLd)

    for (const accept of ['text/turtle', 'application/ld+json;q=0.2, text/turtle']) {
      const res = await get('/catalog', { accept })
      expect(res.headers.get('content-type'), accept).toMatch(/^text\/turtle/)
      expect(await res.text()).toBe(text)
    }
    for (const accept of ['application/ld+json', 'text/turtle, application/ld+json', 'text/turtle;q=0.5, application/json', '*/*', 'text/html']) {
      const res = await get('/catalog', { accept })
      expect(res.headers.get('content-type'), accept).toMatch(/^application\/ld\+json/)
      expect(await res.text()).toBe(body)
    }
  })

  it('keeps its identifiers across requests, and adds a newly registered zone', async () => {
    const first = await get('/catalog')
    const second = await get('/catalog')
    expect(await second.text()).toBe(await first.text())
    expect(second.headers.get('etag')).toBe(first.headers.get('etag'))

    const zone = { ...ZONE_VREDENBURG, id: 'stationsplein', name: 'Stationsplein' }
    expect((await api(p, 'POST', '/v1/admin/zones', zone)).status).toBe(201)
    const after = await get('/catalog')
    expect(after.headers.get('etag')).not.toBe(first.headers.get('etag'))
    const next = new Store(await jsonLdQuads(await after.text()))
    expect(objects(next, `${base}/catalog`, 'dcat:dataset')).toContain(`${base}/catalog#dataset-zone-stationsplein`)
    // Nothing that was there is renamed: every earlier subject is still a subject.
    const subjects = (s: Store) => new Set(s.getSubjects(null, null, null).map((t) => t.value))
    const now = subjects(next)
    for (const subject of subjects(store)) expect(now.has(subject), subject).toBe(true)
  })

  it('gives a kind added to the register its own dataset', async () => {
    const kind: KindDefinition = {
      id: 'bikeparking',
      title: 'Bicycle parking occupancy',
      description: 'Free places in a bicycle parking.',
      placement: 'fixed',
      dataModel: 'ParkingSpot',
      fields: { freePlaces: { unit: 'count', description: 'Free places', privacy: 'open' } },
      payloadSchema: { type: 'object', additionalProperties: false, properties: { freePlaces: { type: 'integer' } } },
      windows: ['1m', '15m', '1h', '1d'],
      retentionDays: 30,
      allowedLatenessS: 3600,
      expectedIntervalS: 60,
      privacy: { refuseIdentifiers: true }
    }
    const document = buildCatalog({
      baseUrl: 'https://data.utrecht.example',
      kinds: [...p.registry.kinds.values(), kind],
      zones: p.registry.listZones(),
      sensors: p.registry.listSensors()
    })
    const added = new Store(await catalogToQuads(document))
    const dataset = 'https://data.utrecht.example/catalog#dataset-kind-bikeparking'
    expect(objects(added, 'https://data.utrecht.example/catalog', 'dcat:dataset')).toContain(dataset)
    expect(objects(added, dataset, 'dcat:theme')).toEqual([`${EU}data-theme/REGI`])
    const urls = objects(added, dataset, 'dcat:distribution').map((d) => one(added, d, 'dcat:accessURL'))
    expect(urls).toContain('https://data.utrecht.example/v1/observations?kind=bikeparking')
  })
})

describe('GET /catalog with PUBLIC_BASE_URL', () => {
  let p: TestPlatform
  beforeAll(async () => { p = await startTestPlatform({ env: { PUBLIC_BASE_URL: 'https://data.utrecht.example/' } }) })
  afterAll(async () => { await p?.destroy() })

  it('makes every identifier of its own under the public base URL, not the address asked', async () => {
    const res = await api(p, 'GET', '/catalog', undefined, null)
    const store = new Store(await jsonLdQuads(res.text))
    expect(subjectsOf(store, 'dcat:Catalog')).toEqual(['https://data.utrecht.example/catalog'])
    const subjects = store.getSubjects(null, null, null).map((s) => s.value)
    const external = ['https://identifier.overheid.nl/', CC0]
    for (const subject of subjects) {
      if (external.some((e) => subject.startsWith(e))) continue
      expect(subject).toMatch(/^https:\/\/data\.utrecht\.example\/catalog#?/)
    }
    for (const url of store.getObjects(null, node(iri('dcat:accessURL')), null)) expect(url.value).toMatch(/^https:\/\/data\.utrecht\.example\//)
    expect(res.text).not.toContain('127.0.0.1')
  })
})

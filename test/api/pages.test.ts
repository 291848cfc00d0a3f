import { createHash } from 'node:crypto'
import pino from 'pino'
import { Registry as MetricsRegistry } from 'prom-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../../api/build-app.js'
import type { AppDeps } from '../../api/deps.js'
import type { TimeSeriesStore } from '../../core/ports/time-series-store.js'
import { kindDefinitionSchema, type KindDefinition } from '../../core/kind.js'
import { html, raw } from '../../api/pages/html.js'
import { privacyRules } from '../../api/pages/privacy-rules.js'
import { loadKinds } from '../../registry/kind-catalog.js'
import { MemoryRegistryStore } from '../../registry/memory-registry-store.js'
import { Registry } from '../../registry/registry.js'
import { api, connectSensor, registerSensor, registration, startTestPlatform, topic, ZONE_VREDENBURG, type RegisteredSensor, type TestPlatform } from '../helpers/platform.js'

/**
 * The resident pages of privacy rule 12: `/s/:id` behind a sensor's QR code and `/sensors`,
 * the whole register. Unit tests of the escaping helper and the rule sentences, then the
 * real platform over real sockets.
 */

describe('html tagged template', () => {
  it('escapes every interpolated value, in text and in attributes', () => {
    const evil = '<script>alert(1)</script> & "quotes" \'single\''
    expect(html`<p title="${evil}">${evil}</p>`.value).toBe(
      '<p title="&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot; &#39;single&#39;">' +
      '&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot; &#39;single&#39;</p>'
    )
  })

  it('inserts nested html and raw() as they are, and escapes strings inside arrays', () => {
    const items = ['a<b', 'c&d'].map((s) => html`<li>${s}</li>`)
    expect(html`<ul>${items}${raw('<li><em>ours</em></li>')}</ul>`.value).toBe('<ul><li>a&lt;b</li><li>c&amp;d</li><li><em>ours</em></li></ul>')
    expect(html`${['<i>', '<b>']}`.value).toBe('&lt;i&gt;&lt;b&gt;')
  })

  it('renders nothing for undefined, null and false, but keeps 0 and text that only looks like markup', () => {
    expect(html`[${undefined}${null}${false}]`.value).toBe('[]')
    expect(html`[${0}|${true}]`.value).toBe('[0|true]')
    expect(String(html`${'&amp;'}`)).toBe('&amp;amp;')
  })
})

describe('privacy rules in words', () => {
  const kinds = loadKinds()

  function kindWith (privacy: unknown, fields: Record<string, { privacy: 'open' | 'location' | 'internal' }> = { level: { privacy: 'open' } }): KindDefinition {
    return kindDefinitionSchema.parse({
      id: 'test',
      title: 'Test',
      description: 'A test kind',
      placement: 'fixed',
      dataModel: 'Test',
      fields: Object.fromEntries(Object.entries(fields).map(([name, f]) => [name, { unit: 'count', description: name, privacy: f.privacy }])),
      payloadSchema: { type: 'object', additionalProperties: false, properties: {} },
      windows: ['1m'],
      retentionDays: 1,
      allowedLatenessS: 60,
      expectedIntervalS: 60,
      privacy
    })
  }
  const ids = (kind: KindDefinition) => privacyRules(kind).map((r) => r.id)
  const nl = (kind: KindDefinition) => privacyRules(kind).map((r) => r.nl).join('\n')
  const en = (kind: KindDefinition) => privacyRules(kind).map((r) => r.en).join('\n')

  it('claims nothing for a kind with no rule configured and only open fields', () => {
    expect(privacyRules(kindWith({ refuseIdentifiers: false }))).toEqual([])
  })

  it('says identifiers are refused only when the kind refuses them', () => {
    expect(ids(kindWith({ refuseIdentifiers: true }))).toEqual(['identifiers'])
    expect(nl(kindWith({ refuseIdentifiers: true }))).toContain('Herkenbare gegevens zoals MAC-adressen')
    expect(en(kindWith({ refuseIdentifiers: true }))).toContain('MAC addresses')
  })

  it('states the configured k, window and lag, and leaves out a lag of zero', () => {
    const lagged = kindWith({ refuseIdentifiers: false, counts: { field: 'level', k: 20, minPublicWindow: '1h', publicLagS: 1800 } })
    expect(ids(lagged)).toEqual(['counts-k', 'counts-window', 'counts-lag'])
    expect(nl(lagged)).toContain('Aantallen onder 20 worden niet gepubliceerd')
    expect(nl(lagged)).toContain('perioden van minstens 1 uur')
    expect(nl(lagged)).toContain('Openbare cijfers lopen 30 minuten achter')
    expect(en(lagged)).toContain('Counts below 20 are not published')
    expect(en(lagged)).toContain('Public figures run 30 minutes behind')
    const live = kindWith({ refuseIdentifiers: false, counts: { field: 'level', k: 20, publicLagS: 0 } })
    expect(ids(live)).toEqual(['counts-k', 'counts-window'])
  })

  it('describes ride trimming without a grid, and a fixed radius without "random"', () => {
    const kind = kindWith(
      { refuseIdentifiers: false, rides: { counterField: 'trip', latField: 'lat', lonField: 'lon', trimRadiusM: { min: 300, max: 300 }, trimS: 0, minLengthM: 1500, minPoints: 1 } },
      { level: { privacy: 'open' }, lat: { privacy: 'location' }, lon: { privacy: 'location' }, trip: { privacy: 'internal' } }
    )
    expect(ids(kind)).toEqual(['location-fields', 'internal-fields', 'rides-trim', 'rides-gap', 'rides-min-length'])
    expect(nl(kind)).toContain('Ritten: punten binnen 300 m van begin en eind worden weggegooid.')
    expect(nl(kind)).not.toContain('willekeurig')
    expect(nl(kind)).toContain('korter is dan 1.500 m of minder dan 1 punt heeft')
    expect(nl(kind)).toContain('De plaatsgegevens (lat en lon)')
    expect(nl(kind)).toContain('Het veld trip wordt alleen binnen het platform gebruikt')
    expect(en(kind)).toContain('shorter than 1,500 m or has fewer than 1 point')
  })

  it('states the configured grid cell and publication minimum', () => {
    const kind = kindWith({ refuseIdentifiers: false, grid: { cellM: 250, minRides: 1, minDevices: 3 } })
    expect(ids(kind)).toEqual(['grid-cell', 'grid-min'])
    expect(nl(kind)).toContain('Locaties worden afgerond op vakken van 250 m')
    expect(nl(kind)).toContain('minstens 1 rit van minstens 3 verschillende apparaten')
    expect(en(kind)).toContain('squares of 250 m')
  })

  it('gives each built-in kind its own rules, with the numbers of its definition', () => {
    expect(ids(kinds.get('wastebin')!)).toEqual(['identifiers'])
    expect(nl(kinds.get('crowd')!)).toContain('Aantallen onder 15 worden niet gepubliceerd')
    expect(nl(kinds.get('crowd')!)).toContain('Openbare cijfers lopen 15 minuten achter')
    const bike = nl(kinds.get('snuffelfiets')!)
    expect(bike).toContain('Ritten: punten binnen 200–500 m van begin en eind worden weggegooid, en ook de punten uit de eerste en laatste 60 seconden.')
    expect(bike).toContain('Locaties worden afgerond op vakken van 100 m')
    expect(bike).toContain('minstens 5 ritten van minstens 2 verschillende apparaten')
    for (const kind of kinds.values()) {
      for (const rule of privacyRules(kind)) expect(rule.en, rule.id).not.toBe(rule.nl)
    }
  })
})

describe('resident pages over real sockets', () => {
  let p: TestPlatform
  let crowd: RegisteredSensor
  let bike: RegisteredSensor
  let bin: RegisteredSensor
  const XSS = '<script>alert(1)</script> "quotes"'
  const ZONE_NEUDE = {
    ...ZONE_VREDENBURG,
    id: 'neude',
    name: 'Neude',
    geometry: { type: 'Polygon' as const, coordinates: [[[5.119, 52.092], [5.121, 52.092], [5.121, 52.093], [5.119, 52.093], [5.119, 52.092]]] }
  }
  const get = (path: string) => api(p, 'GET', path, undefined, null)
  /** The cells of the table row whose header is `<code>{field}</code>`. */
  const fieldRow = (page: string, field: string) => new RegExp(`<tr><th scope="row"><code>${field}</code></th>(.*?)</tr>`).exec(page)?.[1]
  /** The Dutch part of a page: everything before the English section. */
  const dutch = (page: string) => page.split('<section class="en" lang="en"')[0]!

  beforeAll(async () => {
    p = await startTestPlatform()
    crowd = await registerSensor(p, 'crowd', 'crowd-1', { name: 'Drukte Vredenburg' })
    expect((await api(p, 'POST', '/v1/admin/zones', ZONE_NEUDE)).status).toBe(201)
    // A mobile sensor whose entry names a zone: the pages must never place it there.
    bike = await registerSensor(p, 'snuffelfiets', 'bike-1', { name: 'Snuffelfiets 1', zoneId: 'vredenburg' })
    bin = await registerSensor(p, 'wastebin', 'bin-1', {
      name: 'Container Oudegracht',
      owner: 'Gemeente Utrecht, Afvalinzameling',
      contact: 'afval@utrecht.nl',
      purpose: 'Legen wanneer de container vol is, niet op een vaste ronde',
      legalBasis: 'Publieke taak (AVG art. 6 lid 1 onder e)',
      dpiaRef: 'DPIA-AFVAL-7',
      retentionDays: 30
    })
    await registerSensor(p, 'wastebin', 'bin-neude', { name: 'Container Neude', zoneId: 'neude' })
    await registerSensor(p, 'wastebin', 'bin-xss', { name: XSS, purpose: XSS, owner: XSS })
    await registerSensor(p, 'wastebin', 'bin-private', { name: 'Container intern', public: false })
  })
  // Optional: when the platform fails to start, report that rather than a TypeError here.
  afterAll(async () => { await p?.destroy() })

  it('serves a sensor page as cacheable HTML, Dutch with an English section', async () => {
    const res = await get(`/s/${bin.id}`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(res.headers.get('cache-control')).toBe('public, max-age=60')
    expect(res.headers.get('content-security-policy')).toMatch(/default-src 'none'/)
    expect(res.text).toMatch(/^<!doctype html>\n<html lang="nl">/)
    expect(res.text).toContain('<section class="en" lang="en" aria-labelledby="in-english">')
    expect(res.text).toContain('<h1>Container Oudegracht</h1>')
  })

  it('allows its own stylesheet by hash in the Content-Security-Policy, and no script at all', async () => {
    const res = await get(`/s/${bin.id}`)
    const style = /<style>([\s\S]*?)<\/style>/.exec(res.text)![1]!
    const csp = res.headers.get('content-security-policy')!
    expect(csp).toContain(`style-src 'sha256-${createHash('sha256').update(style).digest('base64')}'`)
    expect(csp).not.toMatch(/script-src|unsafe-inline/)
  })

  it('shows purpose, legal basis, owner, contact, DPIA and retention of a waste bin, and its rules', async () => {
    const page = (await get(`/s/${bin.id}`)).text
    for (const text of ['Legen wanneer de container vol is, niet op een vaste ronde', 'Publieke taak (AVG art. 6 lid 1 onder e)', 'Gemeente Utrecht, Afvalinzameling', 'DPIA-AFVAL-7']) {
      expect(page).toContain(text)
    }
    expect(page).toContain('<a href="mailto:afval@utrecht.nl">afval@utrecht.nl</a>')
    expect(dutch(page)).toContain('30 dagen')
    expect(page).toContain('30 days')
    expect(page).toContain('Herkenbare gegevens zoals MAC-adressen')
    expect(page).not.toContain('Aantallen onder')
    expect(page).not.toContain('Ritten:')
    expect(fieldRow(page, 'fillingLevel')).toContain('<td>Ja</td>')
    expect(page).toContain('href="https://www.openstreetmap.org/?mlat=52.0928&amp;mlon=5.1176')
  })

  it('links a fixed sensor to its register entry, latest values and observations', async () => {
    const page = (await get(`/s/${bin.id}`)).text
    expect(page).toContain('<a href="/v1/sensors/bin-1">')
    expect(page).toContain('<a href="/v1/latest?sensor=bin-1">')
    expect(page).toContain('<a href="/v1/observations?sensor=bin-1">')
    expect(page).not.toContain('/v1/crowd')
  })

  it('says when a fixed sensor last reported, to the minute, once a reading is stored', async () => {
    expect((await get('/s/bin-neude')).text).toContain('Nog geen metingen ontvangen')
    const client = await connectSensor(p, bin)
    const time = Math.floor(Date.now() / 1000) - 125
    await client.publishAsync(topic(bin, 'json'), JSON.stringify({ fillingLevel: 55, time }), { qos: 1 })
    await client.endAsync()
    const minute = time * 1000 - (time * 1000) % 60_000
    const page = (await get(`/s/${bin.id}`)).text
    expect(page).toContain(`<time datetime="${new Date(minute).toISOString()}">`)
    expect(page).not.toContain('Nog geen metingen ontvangen')
  })

  it('shows a crowd monitor its zone, k and lag, links the zone counts only, and keeps a fresh report vague', async () => {
    const client = await connectSensor(p, crowd)
    await client.publishAsync(topic(crowd, 'json'), JSON.stringify({ peopleCount: 3, time: Math.floor(Date.now() / 1000) - 5 }), { qos: 1 })
    await client.endAsync()
    const page = (await get(`/s/${crowd.id}`)).text
    expect(page).toContain('Aantallen onder 15 worden niet gepubliceerd')
    expect(page).toContain('Openbare cijfers lopen 15 minuten achter')
    expect(page).toContain('Counts below 15 are not published')
    expect(page).toContain('<a href="/v1/crowd?zone=vredenburg">')
    expect(page).toContain('<dt>Gebied</dt><dd>Vredenburg')
    expect(page).not.toContain('/v1/observations?sensor=crowd-1')
    expect(page).not.toContain('/v1/latest?sensor=crowd-1')
    expect(dutch(page)).toContain('In de afgelopen 15 minuten')
    expect(page).not.toContain('<time')
  })

  it('never shows a bicycle sensor\'s place or last report, and marks its location and ride counter as never published', async () => {
    const client = await connectSensor(p, bike)
    await client.publishAsync(topic(bike, 'json'), JSON.stringify({ pm25: 12.5, lat: 52.09, lon: 5.12, trip: 3 }), { qos: 1 })
    await client.endAsync()
    const page = (await get(`/s/${bike.id}`)).text
    expect(page).toContain('Ritten: punten binnen 200–500 m van begin en eind worden weggegooid')
    expect(page).toContain('Locaties worden afgerond op vakken van 100 m')
    expect(page).toContain('Herkenbare gegevens zoals MAC-adressen')
    for (const field of ['lat', 'lon', 'trip']) expect(fieldRow(page, field), field).toContain('Nooit gepubliceerd')
    expect(fieldRow(page, 'pm25')).toContain('<td>Ja</td>')
    expect(page).not.toContain('<time')
    expect(page).toContain('Wordt niet getoond')
    expect(page).not.toContain('Vredenburg')
    expect(page).not.toContain('openstreetmap')
    expect(page).toContain('<a href="/v1/kinds/snuffelfiets">')
    expect(page).not.toContain('/v1/latest?sensor=')
    expect(page).not.toContain('/v1/observations?sensor=')
  })

  it('links a sensor that is not public to its register entry only', async () => {
    const page = (await get('/s/bin-private')).text
    expect(page).toContain('De eigenaar publiceert de metingen van deze sensor niet als open data')
    expect(page).toContain('<a href="/v1/sensors/bin-private">')
    expect(page).not.toContain('/v1/latest?sensor=bin-private')
    expect(fieldRow(page, 'fillingLevel')).toContain('Nee, deze sensor is niet openbaar')
  })

  it('escapes register text, so a name or purpose cannot inject markup', async () => {
    for (const path of ['/s/bin-xss', '/sensors', '/sensors?kind=wastebin']) {
      const page = (await get(path)).text
      expect(page, path).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &quot;quotes&quot;')
      expect(page, path).not.toMatch(/<script/i)
      expect(page, path).not.toContain('"quotes"')
    }
  })

  it('answers an unknown id with a 404 HTML page in both languages', async () => {
    const res = await get('/s/nope')
    expect(res.status).toBe(404)
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(res.text).toContain('<html lang="nl">')
    expect(res.text).toContain('<h1>Sensor niet gevonden</h1>')
    expect(res.text).toContain('lang="en"')
    expect(res.text).toContain('Sensor not found')
    expect(res.text).toContain('<code>nope</code>')
    const evil = await get(`/s/${encodeURIComponent('<script>alert(1)</script>')}`)
    expect(evil.status).toBe(404)
    expect(evil.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;')
    expect(evil.text).not.toMatch(/<script/i)
  })

  it('keeps headings in order: one h1, and no level skipped', async () => {
    for (const path of [`/s/${bike.id}`, `/s/${crowd.id}`, '/sensors', '/s/nope']) {
      const levels = [...(await get(path)).text.matchAll(/<h([1-6])[ >]/g)].map((m) => Number(m[1]))
      expect(levels[0], path).toBe(1)
      expect(levels.filter((l) => l === 1), path).toHaveLength(1)
      levels.forEach((level, i) => { if (i > 0) expect(level - levels[i - 1]!, `${path} heading ${i}`).toBeLessThanOrEqual(1) })
    }
  })

  it('lists every sensor with a link to its page, its kind, owner, purpose, retention and status', async () => {
    const res = await get('/sensors')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(res.headers.get('cache-control')).toBe('public, max-age=60')
    expect(res.text).toContain('<strong>6 sensoren in het register</strong>')
    for (const id of ['crowd-1', 'bike-1', 'bin-1', 'bin-neude', 'bin-xss', 'bin-private']) expect(res.text).toContain(`<a href="/s/${id}">`)
    const row = /<tr>\n<th scope="row"><a href="\/s\/bin-1">Container Oudegracht<\/a><\/th>([\s\S]*?)<\/tr>/.exec(res.text)?.[1]
    expect(row).toContain('Smart waste container')
    expect(row).toContain('Gemeente Utrecht, Afvalinzameling')
    expect(row).toContain('Legen wanneer de container vol is')
    expect(row).toContain('30 dagen')
    expect(row).toContain('Actief')
    expect(res.text).toContain('<form method="get" action="/sensors">')
    expect(res.text).toContain('<option value="snuffelfiets">Snuffelfiets (air quality on a bicycle)</option>')
    expect(res.text).toContain('<option value="neude">Neude</option>')
  })

  it('filters the list by kind and by area, keeps the choice in the form, and shows the count', async () => {
    const bins = (await get('/sensors?kind=wastebin&zone=')).text
    expect(bins).toContain('<strong>4 van de 6 sensoren in het register</strong>')
    expect(bins).toContain('<option value="wastebin" selected>')
    expect(bins).toContain('<a href="/s/bin-1">')
    expect(bins).not.toContain('<a href="/s/crowd-1">')
    expect(bins).not.toContain('<a href="/s/bike-1">')
    expect(bins).toContain('<a href="/v1/sensors?kind=wastebin">')

    const vredenburg = (await get('/sensors?zone=vredenburg')).text
    // bike-1 names the zone in its entry, but a moving sensor is never placed in an area.
    expect(vredenburg).toContain('<strong>1 van de 6 sensoren in het register</strong>')
    expect(vredenburg).toContain('<a href="/s/crowd-1">')
    expect(vredenburg).not.toContain('<a href="/s/bike-1">')
    expect(vredenburg).toContain('<option value="vredenburg" selected>')

    const both = (await get('/sensors?kind=wastebin&zone=neude')).text
    expect(both).toContain('<strong>1 van de 6 sensoren in het register</strong>')
    expect(both).toContain('<a href="/s/bin-neude">')

    const none = (await get('/sensors?kind=crowd&zone=neude')).text
    expect(none).toContain('<strong>0 van de 6 sensoren in het register</strong>')
    expect(none).toContain('Er zijn geen sensoren die bij deze keuze passen.')

    // A hand-typed URL that repeats a parameter gets the whole list, not a problem+json.
    const repeated = await get('/sensors?kind=crowd&kind=wastebin')
    expect(repeated.status).toBe(200)
    expect(repeated.text).toContain('<strong>6 sensoren in het register</strong>')
  })

  it('keeps the pages out of the OpenAPI document', async () => {
    const doc = await get('/docs/json')
    expect(Object.keys(doc.body.paths)).not.toContain('/s/{id}')
    expect(Object.keys(doc.body.paths)).not.toContain('/sensors')
    expect(Object.keys(doc.body.paths)).toContain('/v1/sensors')
  })
})

describe('sensor page when the time-series store cannot answer', () => {
  it('still shows the register entry, and says the last report is not known', async () => {
    const registry = await Registry.open(new MemoryRegistryStore(), loadKinds())
    await registry.registerSensor(registration('wastebin', 'bin-1', { purpose: 'Legen wanneer vol' }))
    const down = async () => { throw new Error('store down') }
    const store = { latest: down, ping: down } as unknown as TimeSeriesStore
    const grid = { ping: down } as unknown as AppDeps['grid']
    const app = await buildApp({ registry, store, grid, metrics: new MetricsRegistry(), logger: pino({ level: 'silent' }) }, { topicRoot: 'utrecht/v1' })
    try {
      const res = await app.inject({ method: 'GET', url: '/s/bin-1' })
      expect(res.statusCode).toBe(200)
      expect(res.body).toContain('Legen wanneer vol')
      expect(res.body).toContain('<dt>Laatste melding</dt><dd>Op dit moment niet bekend</dd>')
    } finally {
      await app.close()
    }
  })
})

import { join } from 'node:path'
import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api, connectSensor, registerSensor, startTestPlatform, topic, ZONE_VREDENBURG, type RegisteredSensor, type TestPlatform } from '../helpers/platform.js'
import { ARTIFACTS, axeViolations, launchBrowser, SKIP_BROWSER, type Browser } from '../helpers/browser.js'

/**
 * Both dashboards in a real browser (Debian's Chromium driven by playwright-core) against
 * the whole platform on loopback ports: the alert dashboard going live when crowd counts
 * arrive over MQTT, acknowledged with the keyboard alone; the bins dashboard with the
 * collection round; refused tokens; and axe-core's WCAG 2.1 A and AA rules on each page.
 * Every request that leaves 127.0.0.1 (the base map's tiles) is aborted, as it would be on
 * a machine without network, and the zones must draw all the same.
 *
 * Skipped where /usr/bin/chromium is missing (`apt-get install chromium`); CI installs it,
 * so there a missing browser fails instead.
 */

const ZONE_STATION = {
  id: 'stationsplein',
  name: 'Stationsplein',
  geometry: { type: 'Polygon' as const, coordinates: [[[5.109, 52.089], [5.111, 52.089], [5.111, 52.090], [5.109, 52.090], [5.109, 52.089]]] },
  areaM2: 3000,
  capacity: 5000,
  // In people rather than per m2: the other zone uses the default unit.
  thresholds: { unit: 'people' as const, busy: 600, crowded: 900, critical: 1200 }
}
const ZONE_VB = { ...ZONE_VREDENBURG, areaM2: 2000, thresholds: { unit: 'perM2' as const, busy: 0.5, crowded: 0.8, critical: 1.0 } }

const BINS = [
  { id: 'bin-neude', name: 'Afvalbak Neude', location: { lat: 52.0926, lon: 5.1196 } },
  { id: 'bin-janskerkhof', name: 'Afvalbak Janskerkhof', location: { lat: 52.0917, lon: 5.1227 } },
  { id: 'bin-griftpark', name: 'Afvalbak Griftpark', location: { lat: 52.0990, lon: 5.1280 } },
  { id: 'bin-lombok', name: 'Afvalbak Lombok', location: { lat: 52.0930, lon: 5.0980 } }
]

/** SenML pack (RFC 8428) of one reading or a series, `t` relative to `bt`, at QoS 1 (PUBACK after the write). */
async function publish (p: TestPlatform, sensor: RegisteredSensor, field: string, readings: Array<[timeMs: number, value: number]>): Promise<void> {
  const client = await connectSensor(p, sensor)
  const bt = readings[0]![0] / 1000
  const pack = readings.map(([time, v], i) => i === 0 ? { bn: `${sensor.id}:`, bt, n: field, v } : { n: field, t: time / 1000 - bt, v })
  await client.publishAsync(topic(sensor, 'senml'), JSON.stringify(pack), { qos: 1 })
  await client.endAsync()
}

describe.skipIf(SKIP_BROWSER)('dashboards in Chromium (skipped: /usr/bin/chromium is missing, apt-get install chromium)', () => {
  let p: TestPlatform
  let context: BrowserContext
  let browser: Browser | undefined
  const tokens = { enforcement: '', operations: '' }
  const monitors: Record<string, RegisteredSensor> = {}
  /** Console errors and CSP refusals of each page; failed tile loads are expected and left out. */
  const errorsOf = new WeakMap<Page, string[]>()

  async function openPage (path: string): Promise<Page> {
    const page = await context.newPage()
    const pageErrors: string[] = []
    errorsOf.set(page, pageErrors)
    page.on('pageerror', (err) => pageErrors.push(`${path}: ${err.message}`))
    page.on('console', (msg) => {
      if (msg.type() !== 'error') return
      const from = msg.location().url
      if (from !== '' && !from.startsWith(p.httpUrl.replace('localhost', '127.0.0.1')) && !from.startsWith(p.httpUrl)) return
      pageErrors.push(`${path}: ${msg.text()}`)
    })
    await page.goto(`http://127.0.0.1:${p.httpPort}${path}`)
    return page
  }

  async function signIn (page: Page, token: string): Promise<void> {
    await page.getByLabel('Toegangscode').fill(token)
    await page.getByRole('button', { name: 'Openen' }).click()
  }

  beforeAll(async () => {
    p = await startTestPlatform({ env: { ALERT_MIN_DURATION_S: '0', ALERT_TICK_S: '1' } })
    for (const zone of [ZONE_VB, ZONE_STATION]) {
      const res = await api(p, 'POST', '/v1/admin/zones', zone)
      expect(res.status, res.text).toBe(201)
    }
    monitors.vredenburg = await registerSensor(p, 'crowd', 'crowd-vredenburg-1', { zoneId: ZONE_VB.id })
    monitors.station = await registerSensor(p, 'crowd', 'crowd-stationsplein-1', { zoneId: ZONE_STATION.id })
    for (const role of ['enforcement', 'operations'] as const) {
      const res = await api(p, 'POST', '/v1/admin/tokens', { role, name: role === 'enforcement' ? 'Team Centrum' : 'Inzameling Oost' })
      expect(res.status).toBe(201)
      tokens[role] = res.body.token
    }

    // Bins: one full, one rising 8 %/h towards the 80 % threshold (predicted), two not due.
    const now = Date.now()
    const hour = 3_600_000
    const levels: Record<string, Array<[number, number]>> = {
      'bin-neude': [[now - 60_000, 96]],
      'bin-janskerkhof': [[now - 3 * hour, 50], [now - 2 * hour, 58], [now - hour, 66], [now - 60_000, 74]],
      'bin-griftpark': [[now - 60_000, 20]],
      'bin-lombok': [[now - 60_000, 55]]
    }
    for (const bin of BINS) {
      const sensor = await registerSensor(p, 'wastebin', bin.id, { name: bin.name, location: bin.location })
      await publish(p, sensor, 'fillingLevel', levels[bin.id]!)
    }

    browser = await launchBrowser()
    context = browser.context
  })

  afterAll(async () => {
    await browser?.close()
    await p?.destroy()
  })

  it('shows the alert dashboard with zones, goes live on crowd counts, and acknowledges by keyboard', async () => {
    const page = await openPage('/dashboard/')
    await expect.poll(() => page.getAttribute('html', 'lang')).toBe('nl')
    await signIn(page, tokens.enforcement)

    const rows = page.locator('#zones tbody tr')
    await expect.poll(() => rows.count()).toBe(2)
    // Neither monitor has reported yet: both zones say so instead of looking quiet.
    await expect.poll(() => page.locator('#zones').innerText()).toMatch(/Geen signaal van monitor: crowd-stationsplein-1[\s\S]*Geen signaal van monitor: crowd-vredenburg-1|Geen signaal van monitor: crowd-vredenburg-1[\s\S]*Geen signaal van monitor: crowd-stationsplein-1/)
    // The map draws both zones though no tile could be fetched.
    await expect.poll(() => page.locator('#map .leaflet-overlay-pane path').count()).toBe(2)
    expect(await page.getAttribute('#map', 'aria-hidden')).toBe('true')
    await expect.poll(() => page.getAttribute('#connection', 'data-state')).toBe('open')

    // Records what the live region says; a reload would wipe the record, so it also proves
    // that the alert arrived over the stream.
    await page.evaluate(() => {
      const region = document.getElementById('announcer')!
      const said: string[] = [];
      (window as unknown as { said: string[] }).said = said
      new MutationObserver(() => { if (region.textContent !== '') said.push(region.textContent!) })
        .observe(region, { childList: true, characterData: true, subtree: true })
    })
    const said = () => page.evaluate(() => (window as unknown as { said?: string[] }).said?.join('\n'))
    const now = Date.now()
    // Vredenburg: 2300 people on 2000 m2 is 1.15 per m2, critical; Stationsplein 700 people, busy.
    await publish(p, monitors.vredenburg!, 'peopleCount', [[now, 2300]])
    await publish(p, monitors.station!, 'peopleCount', [[now, 700]])

    const critical = page.locator('#events li', { hasText: 'Vredenburg: Kritiek' })
    await critical.waitFor({ timeout: 10_000 })
    await expect.poll(said).toMatch(/(Nieuwe|\d+ nieuwe) melding(en)? om [\d:]+: Vredenburg: Kritiek \(was normaal\), 2\.300 personen, 1,15 personen per m²/)
    expect(await page.getAttribute('#announcer', 'aria-live')).toBe('assertive')
    // Most severe first, level as a word, count, density and trend, signal back.
    await expect.poll(async () => (await rows.first().innerText()).replace(/\s+/g, ' ')).toMatch(/^Vredenburg Kritiek sinds [\d:]+ 2\.300 1,15 ↑ Stijgend In orde$/)
    await expect.poll(async () => (await rows.nth(1).innerText()).replace(/\s+/g, ' ')).toMatch(/^Stationsplein Druk sinds [\d:]+ 700 0,23 ↑ Stijgend In orde$/)

    // Keyboard only: Tab from the top of the page to the critical alert's button, then Enter.
    await page.locator('body').focus()
    let reached = false
    for (let i = 0; i < 40 && !reached; i++) {
      await page.keyboard.press('Tab')
      reached = await page.evaluate(() => {
        const active = document.activeElement
        return active?.tagName === 'BUTTON' && /Vredenburg: Kritiek/.test(active.textContent ?? '') && active.closest('#events') !== null
      })
    }
    expect(reached).toBe(true)
    // The focus ring is visible (WCAG 2.4.7).
    expect(await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle)).toBe('solid')
    await page.keyboard.press('Enter')
    await expect.poll(() => critical.innerText()).toMatch(/Bevestigd door Team Centrum om \d{2}:\d{2}:\d{2}/)
    // Focus stays on the row that was acknowledged, not lost to the top of the page.
    expect(await page.evaluate(() => document.activeElement?.textContent)).toMatch(/^Bevestigd door Team Centrum/)
    const events = await api(p, 'GET', '/v1/alerts', undefined, tokens.enforcement)
    const acked = events.body.events.find((e: { zoneId: string, level: string, type: string }) => e.zoneId === 'vredenburg' && e.type === 'level' && e.level === 'critical')
    expect(acked.ack).toMatchObject({ by: 'Team Centrum' })

    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-alerts.png'), fullPage: true })
    expect(await axeViolations(page)).toEqual([])
    expect(errorsOf.get(page)).toEqual([])
    await page.close()
  })

  it('explains a refused token: 401 for a bad one, 403 for another role', async () => {
    const page = await openPage('/dashboard/')
    await signIn(page, 'sst_000000000000_not-a-real-token-at-all-000000000000')
    await expect.poll(() => page.locator('#login-message').innerText()).toMatch(/niet \(meer\) geldig/)
    expect(await page.isVisible('#dashboard')).toBe(false)
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0)
    expect(await page.getAttribute('#login-message', 'role')).toBe('alert')
    expect(await axeViolations(page)).toEqual([])

    await signIn(page, tokens.operations)
    await expect.poll(() => page.locator('#login-message').innerText()).toMatch(/geen toegang tot dit dashboard; het is voor de rol handhaving/)
    await page.close()
  })

  it('shows the bins dashboard with every bin and the collection round in route order', async () => {
    const page = await openPage('/dashboard/bins')
    await signIn(page, tokens.operations)

    const route = page.locator('#route tbody tr')
    await expect.poll(() => route.count()).toBe(2)
    const collection = await api(p, 'GET', '/v1/collection', undefined, tokens.operations)
    expect(collection.status).toBe(200)
    const names = await route.locator('th').evaluateAll((cells) => cells.map((c) => c.firstChild?.textContent))
    expect(names).toEqual(collection.body.bins.map((b: { name: string }) => b.name))
    const text = (await route.allInnerTexts()).map((t) => t.replace(/\s+/g, ' '))
    expect(text.join('\n')).toMatch(/Afvalbak Neude bin-neude 96% · vol Vol/)
    expect(text.join('\n')).toMatch(/Afvalbak Janskerkhof bin-janskerkhof 74% · halfvol Verwacht vol rond/)

    const all = page.locator('#bins tbody tr')
    await expect.poll(() => all.count()).toBe(4)
    expect((await all.allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').replace(/ [\d:]+ /, ' '))).toEqual([
      expect.stringMatching(/^Afvalbak Neude bin-neude 96% · vol .*Ja, nr\. \d$/),
      expect.stringMatching(/^Afvalbak Janskerkhof bin-janskerkhof 74% · halfvol .*Ja, nr\. \d$/),
      expect.stringMatching(/^Afvalbak Lombok bin-lombok 55% · halfvol .*Nee$/),
      expect.stringMatching(/^Afvalbak Griftpark bin-griftpark 20% · ruimte .*Nee$/)
    ])
    // Four bins and the route line on the map, each bin labelled with its level as text.
    await expect.poll(() => page.locator('#map .leaflet-overlay-pane path').count()).toBe(5)
    const labels = await page.locator('#map .leaflet-tooltip').allInnerTexts()
    expect(labels.sort()).toEqual(['1. 96%', '2. 74%', '20%', '55%', 'Depot'].sort())

    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-bins.png'), fullPage: true })
    expect(await axeViolations(page)).toEqual([])
    expect(errorsOf.get(page)).toEqual([])
    await page.close()
  })

  it('serves the pages with a CSP that allows only our scripts and styles and the tile host', async () => {
    const res = await fetch(`http://127.0.0.1:${p.httpPort}/dashboard/`)
    const csp = res.headers.get('content-security-policy')
    expect(csp).toContain("script-src 'self'")
    expect(csp).toContain("style-src 'self'")
    expect(csp).toContain("img-src 'self' data: https://service.pdok.nl")
    expect(csp).not.toContain('unsafe-inline')
    const bare = await fetch(`http://127.0.0.1:${p.httpPort}/dashboard`, { redirect: 'manual' })
    expect([bare.status, bare.headers.get('location')]).toEqual([301, '/dashboard/'])
    const config = await api(p, 'GET', '/dashboard/config.json', undefined, null)
    expect(config.body).toEqual({ tileUrl: p.config.DASHBOARD_TILE_URL })
    expect((await api(p, 'GET', '/dashboard/vendor/images/layers.png', undefined, null)).headers.get('content-type')).toBe('image/png')
    const docs = await api(p, 'GET', '/docs/json', undefined, null)
    expect(Object.keys(docs.body.paths).filter((path) => path.startsWith('/dashboard'))).toEqual([])
  })
})

import { join } from 'node:path'
import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { windowStart } from '../../core/windows.js'
import { api, connectSensor, registerSensor, startTestPlatform, topic, type RegisteredSensor, type TestPlatform } from '../helpers/platform.js'
import { ARTIFACTS, axeViolations, launchBrowser, SKIP_BROWSER, type Browser } from '../helpers/browser.js'

/**
 * The public air map (/map/air) in a real browser (Debian's Chromium driven by
 * playwright-core) against the whole platform on loopback ports: empty before enough rides,
 * then the published cells drawn on the map and listed in the table, and axe-core's WCAG 2.1
 * A and AA rules on both. Every request that leaves 127.0.0.1 (the base map's tiles) is
 * aborted, and the cells must draw all the same.
 *
 * Skipped where /usr/bin/chromium is missing (`apt-get install chromium`); CI installs it,
 * so there a missing browser fails instead.
 */
/** The European Air Quality Index colours the page uses, lowest class first. */
const CLASS_FILLS = ['#50f0e6', '#50ccaa', '#f0e641', '#ff5050', '#960032', '#7d2181']

describe.skipIf(SKIP_BROWSER)('air map in Chromium (skipped: /usr/bin/chromium is missing, apt-get install chromium)', () => {
  let p: TestPlatform
  let context: BrowserContext
  let browser: Browser | undefined
  const errorsOf = new WeakMap<Page, string[]>()
  // An hour two hours ago: inside the kind's allowed lateness (6 h) and the page's 24 hours.
  const hour = windowStart('1h', Date.now() - 2 * 3_600_000)

  /** Five rides west to east along one street, one every 10 minutes, a fix every 10 s (as test/e2e/grid.test.ts). */
  async function ride (bike: RegisteredSensor, pm25: number, offsetS: number): Promise<void> {
    const client = await connectSensor(p, bike)
    for (let trip = 1; trip <= 5; trip++) {
      const t0 = hour + (trip - 1) * 600_000 + offsetS * 1000
      for (let i = 0; i < 60; i++) {
        const fix = { lat: 52.0900, lon: 5.0850 + (i / 59) * 0.05 }
        await client.publishAsync(topic(bike, 'json'), JSON.stringify({ ...fix, pm25, trip, time: new Date(t0 + i * 10_000).toISOString() }), { qos: 1 })
      }
    }
    await client.endAsync()
  }

  async function openPage (path: string): Promise<Page> {
    const page = await context.newPage()
    const pageErrors: string[] = []
    errorsOf.set(page, pageErrors)
    page.on('pageerror', (err) => pageErrors.push(`${path}: ${err.message}`))
    page.on('console', (msg) => {
      if (msg.type() !== 'error') return
      // Aborted tiles log errors from their own host; only our origin's errors count.
      const from = msg.location().url
      if (from !== '' && !from.startsWith(`http://127.0.0.1:${p.httpPort}`)) return
      pageErrors.push(`${path}: ${msg.text()}`)
    })
    await page.goto(`http://127.0.0.1:${p.httpPort}${path}`)
    return page
  }

  beforeAll(async () => {
    p = await startTestPlatform()
    browser = await launchBrowser()
    context = browser.context
  })

  afterAll(async () => {
    await browser?.close()
    await p?.destroy()
  })

  it('says so when no cell was ridden often enough, and passes axe', async () => {
    const page = await openPage('/map/air')
    await expect.poll(() => page.locator('#status').innerText()).toMatch(/^Geen vakken met genoeg ritten van \d+ [a-z]+( om)? \d{2}:\d{2} tot \d+ [a-z]+( om)? \d{2}:\d{2}\.$/)
    expect(await page.isVisible('#cells-empty')).toBe(true)
    expect(await page.isVisible('#cells')).toBe(false)
    // The legend does not depend on data: six classes, each a range in words.
    expect(await page.locator('#legend li').allInnerTexts()).toEqual([
      '0 tot 10 µg/m³: goed',
      '10 tot 20 µg/m³: redelijk',
      '20 tot 25 µg/m³: matig',
      '25 tot 50 µg/m³: slecht',
      '50 tot 75 µg/m³: zeer slecht',
      '75 of meer µg/m³: extreem slecht'
    ])
    expect(await axeViolations(page)).toEqual([])
    expect(errorsOf.get(page)).toEqual([])
    await page.close()
  })

  it('draws every published cell on the map without tiles and lists it in the table', async () => {
    const bikeA = await registerSensor(p, 'snuffelfiets', 'bike-map-a')
    const bikeB = await registerSensor(p, 'snuffelfiets', 'bike-map-b')
    await ride(bikeA, 8, 0)
    await ride(bikeB, 30, 30)
    await p.ingest.sweep()
    const cells = (await api(p, 'GET', '/v1/air/grid?field=pm25', undefined, null)).body.features as Array<{ properties: { cell: string, mean: number } }>
    expect(cells.length).toBeGreaterThan(0)

    const page = await openPage('/map/air')
    expect(await page.getAttribute('html', 'lang')).toBe('nl')
    const rows = page.locator('#cells tbody tr')
    await expect.poll(() => rows.count()).toBe(cells.length)
    // Highest mean first, each with its class in words beside the number.
    const byMean = [...cells].sort((a, b) => b.properties.mean - a.properties.mean)
    expect(await rows.locator('th').evaluateAll((ths) => ths.map((th) => th.firstChild?.textContent))).toEqual(byMean.map((c) => c.properties.cell))
    for (const text of await rows.allInnerTexts()) {
      expect(text.replace(/\s+/g, ' ').trim()).toMatch(/^rd100m-\d+-\d+ 52,\d{1,5}° N, 5,\d{1,5}° O \d+(,\d)? · (goed|redelijk|matig|slecht) [\d,]+ [\d,]+ [\d.]+ 1$/)
    }
    await expect.poll(() => page.locator('#status').innerText()).toMatch(new RegExp(`^${cells.length} vakken met metingen van `))

    // The map draws one polygon per cell though no tile could be fetched, in the legend's colours.
    const paths = page.locator('#map .leaflet-overlay-pane path')
    await expect.poll(() => paths.count()).toBe(cells.length)
    for (const fill of await paths.evaluateAll((nodes) => nodes.map((n) => n.getAttribute('fill')))) expect(CLASS_FILLS).toContain(fill)
    expect(await page.getAttribute('#map', 'aria-hidden')).toBe('true')
    expect(await page.locator('#map-caption').innerText()).toMatch(/Achtergrondkaart: BRT-Achtergrondkaart, © Kadaster/)

    await page.screenshot({ path: join(ARTIFACTS, 'air-map.png'), fullPage: true })
    expect(await axeViolations(page)).toEqual([])
    expect(errorsOf.get(page)).toEqual([])
    await page.close()
  })

  it('serves the page with the dashboards\' CSP: our scripts and styles only, and the tile host', async () => {
    const page = await fetch(`http://127.0.0.1:${p.httpPort}/map/air`)
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8')
    const dashboard = await fetch(`http://127.0.0.1:${p.httpPort}/dashboard/`)
    const csp = page.headers.get('content-security-policy')
    expect(csp).toBe(dashboard.headers.get('content-security-policy'))
    expect(csp).toContain("script-src 'self'")
    expect(csp).not.toContain('unsafe-inline')
    for (const asset of ['/map/air.js', '/map/air.css']) {
      const res = await fetch(`http://127.0.0.1:${p.httpPort}${asset}`)
      expect(res.status).toBe(200)
      expect(res.headers.get('content-security-policy')).toBe(csp)
      expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    }
  })
})

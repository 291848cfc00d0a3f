import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import { expect } from 'vitest'

/**
 * Debian's Chromium driven by playwright-core, for the pages' browser tests (npm's own
 * browser download cannot reach its host here). Skipped where /usr/bin/chromium is missing,
 * except in CI, which installs it and must fail without it.
 */
export const CHROMIUM = '/usr/bin/chromium'
export const SKIP_BROWSER = !existsSync(CHROMIUM) && process.env.CI === undefined
export const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url))
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')
const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']

export interface Browser { context: BrowserContext, close (): Promise<void> }

/** A fresh profile, Dutch locale and Amsterdam time, and no network but the platform under test. */
export async function launchBrowser (): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: .ci/run installs the Debian package chromium`)
  const userDataDir = mkdtempSync(join(tmpdir(), 'sensorstad-chromium-'))
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    // Without the background-networking flags Chromium keeps dialling Google's hosts, which
    // this closed network refuses; a fresh profile keeps runs independent.
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1280, height: 1000 },
    locale: 'nl-NL',
    timezoneId: 'Europe/Amsterdam'
  })
  await context.route((url) => url.hostname !== '127.0.0.1', (route) => route.abort())
  mkdirSync(ARTIFACTS, { recursive: true })
  return {
    context,
    async close () {
      await context.close()
      rmSync(userDataDir, { recursive: true, force: true })
    }
  }
}

export interface Violation { id: string, impact: string | null, help: string, nodes: string[] }

/** Runs axe-core in the page. evaluate() goes through the DevTools protocol, which the page's CSP does not govern. */
export async function axeViolations (page: Page): Promise<Violation[]> {
  await page.evaluate(AXE_SOURCE)
  const { violations, passed } = await page.evaluate(async (tags) => {
    const axe = (window as unknown as { axe: { run: (context: Document, options: unknown) => Promise<{ passes: unknown[], violations: Array<{ id: string, impact: string | null, help: string, nodes: Array<{ target: unknown[] }> }> }> } }).axe
    const results = await axe.run(document, { runOnly: { type: 'tag', values: tags } })
    return {
      passed: results.passes.length,
      violations: results.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')) }))
    }
  }, WCAG_TAGS)
  // An axe that checked nothing would report no violations too.
  expect(passed).toBeGreaterThan(10)
  return violations
}

import { readdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { FastifyReply } from 'fastify'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { loadConfig } from '../../core/config.js'
import { SensorstadError } from '../../core/errors.js'

/**
 * The two dashboards (issue items 5 and 8): `/dashboard/` for enforcement (zones, alerts,
 * acknowledgement, live over the alert stream) and `/dashboard/bins` for operations (bins
 * and the collection round). Static HTML, a few small ES modules and one stylesheet from
 * `api/dashboard/`, and Leaflet from its npm package: no bundler, no CDN. The pages hold no
 * data; they read the API with the bearer token the officer types in, so the API's role
 * checks are the only gate.
 *
 * Hidden from OpenAPI, like the resident pages: /docs describes the machine contract, and
 * everything these pages show comes from routes described there.
 */
const PAGES_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'dashboard')
const LEAFLET_DIST = dirname(createRequire(import.meta.url).resolve('leaflet/dist/leaflet.js'))

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  png: 'image/png'
}

interface Asset { body: Buffer, type: string, cacheControl: string }

/**
 * Our own files are revalidated on every load (the global ETag plugin makes that a 304), so
 * a deploy reaches an open dashboard at its next reload; Leaflet changes only with its pinned
 * version, so a day of caching is safe.
 */
function asset (file: string, cacheControl = 'no-cache'): Asset {
  const type = TYPES[file.slice(file.lastIndexOf('.') + 1)]
  if (type === undefined) throw new Error(`dashboard: no content type for ${file}`)
  return { body: readFileSync(file), type, cacheControl }
}

/**
 * The CSP source of the base map's tiles, from the XYZ template. `{s}` in the host picks a
 * subdomain per tile (a.tile.example, b.tile.example), which CSP allows with a leading
 * wildcard (CSP 3, host-source). A template starting with `/` is served by us: 'self'.
 */
export function tileImageSource (template: string): string {
  if (template.startsWith('/')) return "'self'"
  let url: URL
  try {
    url = new URL(template.replace(/\{s\}/g, 'tile-subdomain').replace(/\{[^}]*\}/g, '0'))
  } catch {
    throw new SensorstadError('CONFIG_ERR_INVALID', 'DASHBOARD_TILE_URL must be an http(s) URL template such as https://tiles.example/{z}/{x}/{y}.png', 'DASHBOARD_TILE_URL')
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new SensorstadError('CONFIG_ERR_INVALID', 'DASHBOARD_TILE_URL must use http or https', 'DASHBOARD_TILE_URL')
  }
  return `${url.protocol}//${url.host.replace(/^tile-subdomain\./, '*.')}`
}

/**
 * Only our own scripts and styles run (no inline code, so an event text that slipped past
 * `textContent` still could not execute); images come from us (Leaflet's icons), the tile
 * host, and `data:` because Leaflet swaps a failed or cancelled tile for a 1x1 GIF data URL
 * (`Util.emptyImageUrl`), which cannot carry script; fetch() reaches only this API. Leaflet positions map panes through the CSSOM
 * (`element.style.transform = ...`), which style-src does not govern, so no 'unsafe-inline'.
 */
export function dashboardCsp (tileUrl: string): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    `img-src 'self' data: ${tileImageSource(tileUrl)}`,
    "connect-src 'self'",
    "form-action 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'"
  ].join('; ')
}

/** The config default, from the one config schema, for an app built without `dashboard`. */
function defaultTileUrl (): string {
  return loadConfig({}).DASHBOARD_TILE_URL
}

const dashboardRoutes: FastifyPluginAsyncZod = async (app) => {
  const tileUrl = app.deps.dashboard?.tileUrl ?? defaultTileUrl()
  const csp = dashboardCsp(tileUrl)

  const assets = new Map<string, Asset>([
    ['/dashboard/', asset(join(PAGES_DIR, 'alerts.html'))],
    ['/dashboard/bins', asset(join(PAGES_DIR, 'bins.html'))],
    ['/dashboard/vendor/leaflet.js', asset(join(LEAFLET_DIST, 'leaflet.js'), 'public, max-age=86400')],
    ['/dashboard/vendor/leaflet.css', asset(join(LEAFLET_DIST, 'leaflet.css'), 'public, max-age=86400')]
  ])
  for (const file of readdirSync(PAGES_DIR)) {
    if (/\.(js|css)$/.test(file)) assets.set(`/dashboard/${file}`, asset(join(PAGES_DIR, file)))
  }
  // leaflet.css refers to images/layers.png and the marker icons relative to itself.
  for (const file of readdirSync(join(LEAFLET_DIST, 'images'))) {
    if (file.endsWith('.png')) assets.set(`/dashboard/vendor/images/${file}`, asset(join(LEAFLET_DIST, 'images', file), 'public, max-age=86400'))
  }

  const send = (reply: FastifyReply, { body, type, cacheControl }: Asset): FastifyReply => reply
    .type(type)
    .header('cache-control', cacheControl)
    .header('content-security-policy', csp)
    .header('x-content-type-options', 'nosniff')
    // The tile host needs no page address to serve a tile.
    .header('referrer-policy', 'same-origin')
    .send(body)

  for (const [path, found] of assets) {
    app.get(path, { schema: { hide: true } }, async (_request, reply) => send(reply, found))
  }
  // The address people type; one canonical URL for the page (bookmarks, the token's tab).
  app.get('/dashboard', { schema: { hide: true } }, async (_request, reply) => reply.redirect('/dashboard/', 301))

  app.get('/dashboard/config.json', { schema: { hide: true } }, async (_request, reply) => {
    return reply.header('cache-control', 'no-cache').header('x-content-type-options', 'nosniff').send({ tileUrl })
  })
}
export default dashboardRoutes

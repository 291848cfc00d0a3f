import type { FastifyInstance, RouteOptions } from 'fastify'

/**
 * Who may call each route (README "Who may see what", privacy rule 11), in one table the
 * server checks as routes are added: a route missing here stops `buildApp` with an error
 * naming it, so a new route cannot go live without somebody deciding who may see it. The
 * routes themselves still enforce the decision (`app.requireRole`, `optionalPrincipal`);
 * test/e2e/route-access.test.ts calls every route the server reports with every role and
 * checks the answer against the decision here.
 *
 * A table rather than a `config.access` on each route: the review of who may see what is
 * one diff against the README table, and plugin-made routes (swagger-ui, CORS preflight)
 * that we cannot annotate get their decision the same way as ours.
 */
export const ACCESS = [
  /** Anyone; a token changes nothing. */
  'public',
  /** Anyone sees the open view; enforcement and admin tokens see exact crowd data. */
  'public+enforcement',
  'enforcement+admin',
  'operations+admin',
  'admin'
] as const
export type Access = typeof ACCESS[number]

export interface RouteAccess { method: string, url: string, access: Access }

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route with its access decision, in the order they were added. */
    routeAccess: RouteAccess[]
  }
  interface FastifyContextConfig {
    access?: Access
  }
}

/** `METHOD url` as Fastify reports the route; HEAD routes take their GET's decision. */
export const ROUTE_ACCESS: Readonly<Record<string, Access>> = {
  'OPTIONS *': 'public',
  'GET /healthz': 'public',
  'GET /readyz': 'public',
  'GET /metrics': 'public',
  'GET /docs': 'public',
  'GET /v1/kinds': 'public',
  'GET /v1/kinds/:id': 'public',
  'GET /v1/sensors': 'public',
  'GET /v1/sensors/:id': 'public',
  'GET /v1/zones': 'public',
  'GET /v1/zones/:id': 'public',
  'GET /v1/observations': 'public+enforcement',
  'GET /v1/latest': 'public+enforcement',
  'GET /v1/live': 'public',
  'GET /v1/crowd': 'public+enforcement',
  'GET /v1/alerts': 'enforcement+admin',
  'GET /v1/alerts/stream': 'enforcement+admin',
  'POST /v1/alerts/:id/ack': 'enforcement+admin',
  'GET /v1/grid': 'public',
  'GET /v1/air/grid': 'public',
  'GET /map/air': 'public',
  'GET /map/air.js': 'public',
  'GET /map/air.css': 'public',
  'GET /catalog': 'public',
  'GET /catalog.ttl': 'public',
  'GET /v1/collection': 'operations+admin',
  'GET /v1/exports': 'public',
  'GET /v1/exports/:kind/:yyyy/:mm/:file': 'public',
  'GET /s/:id': 'public',
  'GET /sensors': 'public',
  'GET /dashboard': 'public',
  'GET /dashboard/config.json': 'public',
  'GET /v1/admin/sensors': 'admin',
  'POST /v1/admin/sensors': 'admin',
  'GET /v1/admin/sensors/:id': 'admin',
  'POST /v1/admin/sensors/:id/suspend': 'admin',
  'POST /v1/admin/sensors/:id/resume': 'admin',
  'POST /v1/admin/sensors/:id/rotate': 'admin',
  'GET /v1/admin/zones': 'admin',
  'POST /v1/admin/zones': 'admin',
  'POST /v1/admin/tokens': 'admin',
  'GET /sta/v1.1': 'public',
  'GET /sta/v1.1/*': 'public'
}

/**
 * Trees of static files whose routes are made from a directory listing (the dashboard's
 * pages, swagger-ui's assets): a file added there is public like its siblings, and naming
 * each file here would only make adding one fail for no privacy reason. Nothing behind these
 * prefixes reads the store or the register.
 */
const STATIC_PREFIXES: ReadonlyArray<readonly [string, Access]> = [
  ['/dashboard/', 'public'],
  ['/docs/', 'public']
]

export function accessOf (method: string, url: string): Access | undefined {
  const asGet = method === 'HEAD' ? 'GET' : method
  const exact = ROUTE_ACCESS[`${asGet} ${url}`]
  if (exact !== undefined) return exact
  if (asGet !== 'GET') return undefined
  return STATIC_PREFIXES.find(([prefix]) => url.startsWith(prefix))?.[1]
}

/**
 * Adds the check to `app`; call before any route is registered, as an `onRoute` hook sees
 * only routes added after it. The decision is also put on the route's `config.access`.
 */
export function checkRouteAccess (app: FastifyInstance): void {
  const routes: RouteAccess[] = []
  app.decorate('routeAccess', routes)
  app.addHook('onRoute', (route: RouteOptions) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method]
    for (const method of methods) {
      const access = accessOf(method, route.url)
      if (access === undefined) {
        throw new Error(`Route ${method} ${route.url} has no access decision: add it to ROUTE_ACCESS in api/access.ts and to the README table "Who may see what"`)
      }
      routes.push({ method, url: route.url, access })
      route.config = { ...route.config, access }
    }
  })
}

import Fastify from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { checkRouteAccess, type Access } from '../../api/access.js'
import { api, registerSensor, startTestPlatform, ADMIN_TOKEN, ZONE_VREDENBURG, type TestPlatform } from '../helpers/platform.js'

/**
 * Every route the running server has, called as anonymous, enforcement, operations and admin,
 * against its decision in api/access.ts (README "Who may see what"). The routes come from the
 * server, not from a list here, so a new route is called too; one with a path parameter needs
 * a sample path below, and the test says so. roles.test.ts checks the data views behind the
 * open routes (crowd per monitor, bicycles per device).
 */
type Who = 'anonymous' | 'enforcement' | 'operations' | 'admin'
const WHO: Who[] = ['anonymous', 'enforcement', 'operations', 'admin']

/** Paths to call for routes with parameters or a query they cannot do without. */
const SAMPLE: Record<string, string> = {
  'OPTIONS *': '/v1/kinds',
  'GET /docs/static/*': '/docs/static/swagger-ui.css',
  'GET /v1/kinds/:id': '/v1/kinds/wastebin',
  'GET /v1/sensors/:id': '/v1/sensors/bin-access',
  'GET /v1/zones/:id': `/v1/zones/${ZONE_VREDENBURG.id}`,
  'GET /v1/observations': '/v1/observations?kind=wastebin',
  'GET /v1/latest': '/v1/latest?kind=wastebin',
  'GET /v1/grid': '/v1/grid?kind=snuffelfiets',
  'POST /v1/alerts/:id/ack': '/v1/alerts/1/ack',
  'GET /v1/exports/:kind/:yyyy/:mm/:file': '/v1/exports/wastebin/2026/01/2026-01-01.csv',
  'GET /s/:id': '/s/bin-access',
  'GET /v1/admin/sensors/:id': '/v1/admin/sensors/bin-access',
  'POST /v1/admin/sensors/:id/suspend': '/v1/admin/sensors/bin-access/suspend',
  'POST /v1/admin/sensors/:id/resume': '/v1/admin/sensors/bin-access/resume',
  'POST /v1/admin/sensors/:id/rotate': '/v1/admin/sensors/bin-access/rotate',
  'GET /sta/v1.1/*': '/sta/v1.1/Things'
}

const DENIED = [401, 403]

/** What each decision means for each caller; `allowed` is any answer but 401 and 403. */
function check (access: Access, got: Record<Who, number>): void {
  const allowed = (who: Who): void => { expect(DENIED, `${who} got ${got[who]}`).not.toContain(got[who]) }
  const refused = (who: Who): void => { expect(got[who], who).toBe(who === 'anonymous' ? 401 : 403) }
  for (const who of WHO) expect(got[who], `${who}: no 5xx`).toBeLessThan(500)
  switch (access) {
    case 'public':
      for (const who of WHO) allowed(who)
      // A token changes nothing on an open route.
      expect(new Set(Object.values(got)).size, JSON.stringify(got)).toBe(1)
      break
    case 'public+enforcement':
      allowed('anonymous'); allowed('enforcement'); allowed('admin')
      // operations gets the open view or a 403 where the open view is not for a token.
      expect([200, 400, 403]).toContain(got.operations)
      break
    case 'enforcement+admin':
      refused('anonymous'); allowed('enforcement'); refused('operations'); allowed('admin')
      break
    case 'operations+admin':
      refused('anonymous'); refused('enforcement'); allowed('operations'); allowed('admin')
      break
    case 'admin':
      refused('anonymous'); refused('enforcement'); refused('operations'); allowed('admin')
      break
  }
}

describe('every route has an access decision that it keeps', () => {
  let p: TestPlatform
  const tokens: Record<Who, string | null> = { anonymous: null, enforcement: null, operations: null, admin: ADMIN_TOKEN }

  beforeAll(async () => {
    p = await startTestPlatform()
    await registerSensor(p, 'wastebin', 'bin-access')
    await registerSensor(p, 'crowd', 'crowd-access')
    for (const role of ['enforcement', 'operations'] as const) {
      tokens[role] = (await api(p, 'POST', '/v1/admin/tokens', { role, name: `${role} test` })).body.token
    }
  })
  afterAll(async () => { await p.destroy() })

  /** The status only, redirects not followed. */
  async function statusOf (method: string, path: string, token: string | null): Promise<number> {
    const abort = new AbortController()
    const res = await fetch(`http://127.0.0.1:${p.httpPort}${path}`, {
      method,
      redirect: 'manual',
      signal: abort.signal,
      headers: {
        ...(token === null ? {} : { authorization: `Bearer ${token}` }),
        ...(method === 'POST' ? { 'content-type': 'application/json' } : {}),
        ...(method === 'OPTIONS' ? { origin: 'https://example.org', 'access-control-request-method': 'GET' } : {})
      },
      // An empty object: a caller without the role must hear 401/403 before any validation.
      body: method === 'POST' ? '{}' : undefined
    })
    // A stream never ends by itself; every other answer is read whole, freeing its socket.
    if (res.headers.get('content-type')?.startsWith('text/event-stream') === true) abort.abort()
    else await res.arrayBuffer()
    return res.status
  }

  it('reports a decision for every route, HEAD routes as their GET', () => {
    const routes = p.app.routeAccess
    expect(routes.length).toBeGreaterThan(40)
    for (const head of routes.filter((r) => r.method === 'HEAD')) {
      // swagger-ui adds HEAD /docs/ beside GET /docs, Fastify's trailing-slash twin.
      const get = routes.find((r) => r.method === 'GET' && (r.url === head.url || `${r.url}/` === head.url))
      expect(get?.access, head.url).toBe(head.access)
    }
  })

  it('answers every route as its decision says, for every role', async () => {
    const failures: string[] = []
    for (const { method, url, access } of p.app.routeAccess.filter((r) => r.method !== 'HEAD')) {
      const key = `${method} ${url}`
      const path = SAMPLE[key] ?? (/[:*]/.test(url) ? undefined : url)
      if (path === undefined) {
        failures.push(`${key}: add a sample path to SAMPLE in test/e2e/route-access.test.ts`)
        continue
      }
      const got = {} as Record<Who, number>
      for (const who of WHO) got[who] = await statusOf(method, path, tokens[who])
      try {
        check(access, got)
      } catch (err) {
        failures.push(`${key} (${access}) via ${path}: ${JSON.stringify(got)}: ${(err as Error).message.split('\n')[0]}`)
      }
    }
    expect(failures).toEqual([])
  })
})

describe('a route without a decision', () => {
  it('stops the app from starting, naming the route', async () => {
    const app = Fastify()
    checkRouteAccess(app)
    const start = async (): Promise<void> => {
      await app.register(async (child) => { child.get('/v1/not-decided', async () => 'x') })
      await app.ready()
    }
    await expect(start()).rejects.toThrow(/GET \/v1\/not-decided has no access decision/)
    await app.close().catch(() => {})
  })
})

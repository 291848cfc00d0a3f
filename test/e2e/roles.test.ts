import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api, registerSensor, startTestPlatform, ADMIN_TOKEN, type TestPlatform } from '../helpers/platform.js'

/**
 * Purpose limitation (privacy rule 11), route by route: what anonymous users, enforcement,
 * operations and admin tokens get. The same table is in the README ("Who may see what").
 */
type Who = 'anonymous' | 'enforcement' | 'operations' | 'admin'
const WHO: Who[] = ['anonymous', 'enforcement', 'operations', 'admin']

// [method, path, anonymous, enforcement, operations, admin]
const TABLE: Array<[string, string, number, number, number, number]> = [
  ['GET', '/v1/kinds', 200, 200, 200, 200],
  ['GET', '/v1/sensors', 200, 200, 200, 200],
  ['GET', '/v1/zones', 200, 200, 200, 200],
  ['GET', '/s/bin-roles', 200, 200, 200, 200],
  ['GET', '/sensors', 200, 200, 200, 200],
  ['GET', '/healthz', 200, 200, 200, 200],
  ['GET', '/readyz', 200, 200, 200, 200],
  ['GET', '/metrics', 200, 200, 200, 200],
  ['GET', '/docs/json', 200, 200, 200, 200],
  ['GET', '/v1/observations?kind=wastebin', 200, 200, 200, 200],
  ['GET', '/v1/latest?kind=wastebin', 200, 200, 200, 200],
  ['GET', '/v1/grid?kind=snuffelfiets', 200, 200, 200, 200],
  ['GET', '/v1/crowd', 200, 200, 403, 200],
  ['GET', '/v1/crowd?window=1m', 400, 200, 403, 200],
  // Per-monitor crowd counts: exact for enforcement and admin, for nobody else.
  ['GET', '/v1/observations?kind=crowd', 400, 200, 400, 200],
  ['GET', '/v1/observations?sensor=crowd-roles', 400, 200, 400, 200],
  ['GET', '/v1/latest?kind=crowd', 400, 200, 400, 200],
  // Rides exist only as grid cells: no role reaches a device's track.
  ['GET', '/v1/observations?kind=snuffelfiets', 403, 403, 403, 403],
  ['GET', '/v1/observations?sensor=bike-roles', 403, 403, 403, 403],
  ['GET', '/v1/latest?kind=snuffelfiets', 403, 403, 403, 403],
  // Crowd alerts for enforcement, the collection list for waste teams.
  ['GET', '/v1/alerts', 401, 200, 403, 200],
  ['GET', '/v1/alerts/stream?probe=1', 401, 200, 403, 200],
  // An id no event has: ticks may have stored real events (a silent monitor) by now.
  ['POST', '/v1/alerts/999999999/ack', 401, 404, 403, 404],
  ['GET', '/v1/collection', 401, 403, 200, 200],
  ['GET', '/v1/live', 200, 200, 200, 200],
  ['GET', '/sta/v1.1', 200, 200, 200, 200],
  ['GET', '/sta/v1.1/Things', 200, 200, 200, 200],
  ['GET', '/catalog', 200, 200, 200, 200],
  ['GET', '/v1/exports', 200, 200, 200, 200],
  ['GET', '/v1/air/grid', 200, 200, 200, 200],
  ['GET', '/map/air', 200, 200, 200, 200],
  ['GET', '/dashboard/', 200, 200, 200, 200],
  ['GET', '/v1/admin/sensors', 401, 403, 403, 200],
  ['GET', '/v1/admin/sensors/bin-roles', 401, 403, 403, 200],
  ['GET', '/v1/admin/zones', 401, 403, 403, 200],
  ['POST', '/v1/admin/sensors/bin-roles/resume', 401, 403, 403, 200]
]

describe('who may see what', () => {
  let p: TestPlatform
  const tokens: Record<Who, string | null> = { anonymous: null, enforcement: null, operations: null, admin: ADMIN_TOKEN }

  beforeAll(async () => {
    p = await startTestPlatform()
    await registerSensor(p, 'wastebin', 'bin-roles')
    await registerSensor(p, 'crowd', 'crowd-roles')
    await registerSensor(p, 'snuffelfiets', 'bike-roles')
    for (const role of ['enforcement', 'operations'] as const) {
      tokens[role] = (await api(p, 'POST', '/v1/admin/tokens', { role, name: `${role} test` })).body.token
    }
  })
  afterAll(async () => { await p.destroy() })

  /** The status only: a stream (SSE) is cut off once its headers are in. */
  async function statusOf (method: string, path: string, token: string | null): Promise<number> {
    if (!path.includes('/stream') && !path.startsWith('/v1/live')) return (await api(p, method, path, undefined, token)).status
    const abort = new AbortController()
    const res = await fetch(`http://127.0.0.1:${p.httpPort}${path}`, { method, signal: abort.signal, headers: token === null ? {} : { authorization: `Bearer ${token}` } })
    abort.abort()
    return res.status
  }

  for (const [method, path, ...expected] of TABLE) {
    it(`${method} ${path}`, async () => {
      const got: Record<string, number> = {}
      for (const who of WHO) got[who] = await statusOf(method, path, tokens[who])
      expect(got).toEqual(Object.fromEntries(WHO.map((who, i) => [who, expected[i]])))
    })
  }

  it('answers a bad token with 401 everywhere, never with the anonymous view', async () => {
    for (const path of ['/v1/crowd', '/v1/observations?kind=wastebin', '/v1/latest']) {
      expect((await api(p, 'GET', path, undefined, 'sst_000000000000_not-a-real-token-at-all-000000000000')).status, path).toBe(401)
    }
  })
})

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../../api/build-app.js'
import type { TimeSeriesStore } from '../../core/ports/time-series-store.js'
import { api, registerSensor, startTestPlatform, ROOT, type TestPlatform } from '../helpers/platform.js'

/**
 * No error answer shows how the server is built: no stack frame, source path, query text or
 * driver message, whatever goes wrong (OWASP "Improper Error Handling"). Errors are RFC 9457
 * problem+json with a stable code; the detail of a 5xx stays in the log.
 */
const LEAKS: Array<[string, RegExp]> = [
  ['a stack frame', /\bat [\w.<>]+ \(|\n\s+at /],
  ['a source path', /\.[tj]s:\d+/],
  ['SQL or InfluxQL', /\b(SELECT|FROM|WHERE|INSERT)\b/],
  ['a driver name', /duckdb|influx/i],
  ['an error class', /\b\w*Error:/]
]

function expectNoLeak (what: string, text: string): void {
  for (const [name, pattern] of LEAKS) expect(pattern.test(text), `${what} shows ${name}: ${text}`).toBe(false)
}

async function expectProblem (p: TestPlatform, method: string, path: string, status: number, body?: string): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${p.httpPort}${path}`, {
    method,
    ...(body !== undefined ? { body, headers: { 'content-type': 'application/json', authorization: 'Bearer test-admin-token-0123456789abcdef' } } : {})
  })
  const text = await res.text()
  expect(res.status, `${method} ${path}: ${text}`).toBe(status)
  expect(res.headers.get('content-type'), path).toMatch(/^application\/problem\+json/)
  expect(JSON.parse(text)).toMatchObject({ status, code: expect.any(String), type: expect.stringMatching(/^urn:sensorstad:problem:/) })
  expectNoLeak(`${method} ${path}`, text)
}

describe('error bodies', () => {
  let p: TestPlatform

  beforeAll(async () => {
    p = await startTestPlatform()
    await registerSensor(p, 'wastebin', 'bin-errors')
  })
  afterAll(async () => { await p.destroy() })

  it('answers bad query parameters without internals', async () => {
    await expectProblem(p, 'GET', '/v1/observations?kind=wastebin&from=yesterday', 400)
    await expectProblem(p, 'GET', '/v1/observations?kind=wastebin&limit=-1', 400)
    await expectProblem(p, 'GET', '/v1/observations?kind=no-such-kind', 400)
    await expectProblem(p, 'GET', '/v1/grid?kind=snuffelfiets&format=xlsx', 400)
    await expectProblem(p, 'GET', "/sta/v1.1/Datastreams?$filter=name eq 'x' or (", 400)
  })

  it('answers unknown routes and ids without internals', async () => {
    await expectProblem(p, 'GET', '/no/such/route', 404)
    await expectProblem(p, 'GET', '/v1/sensors/no-such-sensor', 404)
  })

  it('answers a body that is not JSON without the parser\'s message', async () => {
    await expectProblem(p, 'POST', '/v1/admin/zones', 400, '{"id": ')
  })

  it('answers a store that throws a raw driver error with a bare 500', async () => {
    // Every method of the store fails the way a driver does, its query in the message.
    const raw = new Error('Binder Error: SELECT value FROM readings WHERE sensor_id = 1 (duckdb)')
    const store = new Proxy(p.store, { get: () => async () => { throw raw } }) as TimeSeriesStore
    const app = await buildApp({ ...p.app.deps, store }, { topicRoot: ROOT })
    try {
      for (const url of ['/v1/observations?kind=wastebin', '/v1/latest?kind=wastebin']) {
        const res = await app.inject({ method: 'GET', url })
        expect(res.statusCode, url).toBe(500)
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
        expectNoLeak(url, res.body)
      }
      const ready = await app.inject({ method: 'GET', url: '/readyz' })
      expect(ready.statusCode).toBe(503)
      expectNoLeak('/readyz', ready.body)
    } finally {
      await app.close()
    }
  })

  it('answers with a closed store without internals, in the API and in /readyz', async () => {
    await p.store.close()
    await expectProblem(p, 'GET', '/v1/observations?kind=wastebin', 503)
    await expectProblem(p, 'GET', '/v1/observations?sensor=bin-errors', 503)
    const ready = await api(p, 'GET', '/readyz', undefined, null)
    expect(ready.status).toBe(503)
    expect(ready.body.checks.find((c: { name: string }) => c.name === 'store')).toMatchObject({ ok: false })
    expectNoLeak('/readyz', ready.text)
  })
})

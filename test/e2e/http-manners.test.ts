import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api, startTestPlatform, type TestPlatform } from '../helpers/platform.js'

/** Per-client rate limits on the API answer 429 as problem+json, and spare the health probes. */
describe('caching', () => {
  let p: TestPlatform
  beforeAll(async () => { p = await startTestPlatform() })
  afterAll(async () => { await p.destroy() })

  it('gives every open GET a Cache-Control and an ETag, and answers to a token no-store', async () => {
    for (const path of ['/v1/kinds', '/v1/sensors', '/v1/zones', '/catalog', '/sensors', '/v1/exports']) {
      const res = await api(p, 'GET', path, undefined, null)
      expect(res.headers.get('cache-control'), path).toMatch(/^public, max-age=\d+/)
      expect(res.headers.get('etag'), path).toMatch(/"/)
    }
    expect((await api(p, 'GET', '/v1/admin/sensors')).headers.get('cache-control')).toBe('no-store')
    expect((await api(p, 'GET', '/v1/kinds')).headers.get('cache-control')).toBe('no-store')
  })
})

describe('rate limits', () => {
  let p: TestPlatform
  beforeAll(async () => { p = await startTestPlatform({ env: { HTTP_RATE_LIMIT_PER_MIN: '3' } }) })
  afterAll(async () => { await p.destroy() })

  it('answers the request over the limit with 429, a Retry-After and a stable code', async () => {
    const statuses: number[] = []
    let last
    for (let i = 0; i < 4; i++) {
      last = await api(p, 'GET', '/v1/kinds', undefined, null)
      statuses.push(last.status)
    }
    expect(statuses).toEqual([200, 200, 200, 429])
    expect(last!.headers.get('content-type')).toMatch(/^application\/problem\+json/)
    expect(last!.body).toMatchObject({ status: 429, code: 'API_ERR_RATE_LIMITED' })
    expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(last!.headers.get('x-ratelimit-remaining')).toBe('0')
  })

  it('never limits /healthz and /readyz, which keep a node in its load balancer', async () => {
    for (let i = 0; i < 6; i++) {
      expect((await api(p, 'GET', '/healthz', undefined, null)).status).toBe(200)
      expect((await api(p, 'GET', '/readyz', undefined, null)).status).toBe(200)
    }
  })
})

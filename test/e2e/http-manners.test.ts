import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api, startTestPlatform, type TestPlatform } from '../helpers/platform.js'

/** Per-client rate limits on the API answer 429 as problem+json, and spare the health probes. */
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

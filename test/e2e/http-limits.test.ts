import { request as httpRequest, type IncomingMessage } from 'node:http'
import { connect } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp, type App } from '../../api/build-app.js'
import { api, ADMIN_TOKEN, ROOT, startTestPlatform, type TestPlatform } from '../helpers/platform.js'

/**
 * Timeouts and the body limit: a socket that says nothing is closed, a request body past
 * 64 KiB is refused, and the event streams, quiet between events by design, stay open past
 * the idle timeout. A second app on the platform's services runs with the timeouts cut to
 * a fraction of a second, so the test does not wait a minute.
 */
const IDLE_MS = 300

describe('HTTP limits', () => {
  let p: TestPlatform
  let fast: App
  let fastPort: number

  beforeAll(async () => {
    p = await startTestPlatform()
    fast = await buildApp(p.app.deps, { topicRoot: ROOT, timeouts: { connectionMs: IDLE_MS, requestMs: IDLE_MS } })
    await fast.listen({ host: '127.0.0.1', port: 0 })
    const address = fast.server.address()
    fastPort = typeof address === 'object' && address !== null ? address.port : 0
  })
  afterAll(async () => {
    await fast.close()
    await p.destroy()
  })

  it('sets request and idle timeouts on the server', () => {
    expect(p.app.server.requestTimeout).toBe(30_000)
    expect(p.app.server.timeout).toBe(60_000)
  })

  it('closes a connection that sends nothing', async () => {
    const socket = connect(fastPort, '127.0.0.1')
    const started = Date.now()
    await new Promise<void>((resolve) => socket.once('close', () => resolve()))
    expect(Date.now() - started).toBeLessThan(IDLE_MS * 10)
  })

  /** Opens a stream and resolves after `ms` with its status and whether it is still open. */
  function holdStream (path: string, token: string | null, ms: number): Promise<{ status: number, open: boolean }> {
    return new Promise((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port: fastPort, path, headers: token === null ? {} : { authorization: `Bearer ${token}` } }, (res: IncomingMessage) => {
        let open = true
        res.on('close', () => { open = false })
        res.resume()
        setTimeout(() => {
          resolve({ status: res.statusCode ?? 0, open })
          req.destroy()
        }, ms)
      })
      req.on('error', reject)
      req.end()
    })
  }

  it('keeps /v1/live open past the idle timeout', async () => {
    expect(await holdStream('/v1/live', null, IDLE_MS * 4)).toEqual({ status: 200, open: true })
  })

  it('keeps /v1/alerts/stream open past the idle timeout', async () => {
    expect(await holdStream('/v1/alerts/stream', ADMIN_TOKEN, IDLE_MS * 4)).toEqual({ status: 200, open: true })
  })

  it('refuses a body over 64 KiB with problem+json 413', async () => {
    const res = await fetch(`http://127.0.0.1:${p.httpPort}/v1/admin/zones`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` },
      body: JSON.stringify({ id: 'big', name: 'x'.repeat(70_000) })
    })
    expect(res.status).toBe(413)
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/)
    await res.text()
    // A body just under the limit is read and judged on its content.
    expect((await api(p, 'POST', '/v1/admin/zones', { id: 'small', name: 'x'.repeat(1_000) })).status).toBe(400)
  })
})

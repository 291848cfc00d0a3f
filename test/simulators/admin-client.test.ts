import { once } from 'node:events'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { AdminApiError, createAdminClient } from '../../simulators/admin-client.js'
import type { ZoneInput } from '../../core/sensor.js'

// A stand-in for the admin API on a free port; each test sets how it answers.
type Handler = (req: IncomingMessage, body: unknown, res: ServerResponse) => void
let handler: Handler
let server: Server
let url: string
const requests: Array<{ url: string | undefined, authorization: string | undefined, body: unknown }> = []

beforeAll(async () => {
  server = createServer((req, res) => {
    let text = ''
    req.on('data', (chunk: Buffer) => { text += chunk.toString() })
    req.on('end', () => {
      const body: unknown = JSON.parse(text)
      requests.push({ url: req.url, authorization: req.headers.authorization, body })
      handler(req, body, res)
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(() => { server.close() })
beforeEach(() => { requests.length = 0 })

const reply = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
  res.writeHead(status, { 'content-type': status >= 400 ? 'application/problem+json' : 'application/json', ...headers })
  res.end(JSON.stringify(body))
}
const zone: ZoneInput = { id: 'neude', name: 'Neude', geometry: { type: 'Polygon', coordinates: [[[5.1, 52.1], [5.2, 52.1], [5.2, 52.2], [5.1, 52.1]]] } }
const registration = { id: 'sim-1', kind: 'crowd', name: 'n', owner: 'o', purpose: 'p', legalBasis: 'l', dpiaRef: 'd', processesPersonalData: false as const, public: true, zoneId: 'neude' }

describe('admin client', () => {
  it('registers a sensor with the bearer token and returns its secret', async () => {
    handler = (_req, body, res) => reply(res, 201, { sensor: { ...(body as object), status: 'active' }, credentials: { username: 'sim-1', password: 'pw' } })
    const admin = createAdminClient({ url: url + '/', token: 't'.repeat(24) })
    expect(await admin.registerSensor(registration)).toEqual({ id: 'sim-1', password: 'pw' })
    expect(requests[0]).toMatchObject({ url: '/v1/admin/sensors', authorization: `Bearer ${'t'.repeat(24)}`, body: registration })
  })

  it('treats a zone that exists as fine', async () => {
    handler = (_req, _body, res) => reply(res, 409, { code: 'REGISTRY_ERR_CONFLICT', title: 'Already registered' })
    expect(await createAdminClient({ url, token: 'x' }).createZone(zone)).toBe('exists')
    handler = (_req, body, res) => reply(res, 201, body)
    expect(await createAdminClient({ url, token: 'x' }).createZone(zone)).toBe('created')
  })

  it('tells the user what to do about a wrong token', async () => {
    handler = (_req, _body, res) => reply(res, 401, { code: 'API_ERR_UNAUTHORIZED' })
    await expect(createAdminClient({ url, token: 'x' }).createZone(zone)).rejects.toThrow(/pass --token or set ADMIN_TOKEN/)
  })

  it('passes the platform\'s code and detail on when it refuses a registration', async () => {
    handler = (_req, _body, res) => reply(res, 400, { code: 'REGISTRY_ERR_UNKNOWN_ZONE', detail: 'no zone neude' })
    const err = await createAdminClient({ url, token: 'x' }).registerSensor(registration).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(AdminApiError)
    expect(err).toMatchObject({ status: 400, code: 'REGISTRY_ERR_UNKNOWN_ZONE', message: expect.stringMatching(/no zone neude/) })
  })

  it('waits out rate limiting', async () => {
    let calls = 0
    handler = (_req, body, res) => {
      if (++calls === 1) return reply(res, 429, { code: 'API_ERR_RATE_LIMITED' }, { 'retry-after': '0' })
      reply(res, 201, body)
    }
    expect(await createAdminClient({ url, token: 'x' }).createZone(zone)).toBe('created')
    expect(calls).toBe(2)
  })

  it('says when nothing listens at the URL', async () => {
    const closed = createServer()
    closed.listen(0, '127.0.0.1')
    await once(closed, 'listening')
    const port = (closed.address() as AddressInfo).port
    closed.close()
    await expect(createAdminClient({ url: `http://127.0.0.1:${port}`, token: 'x' }).createZone(zone)).rejects.toThrow(/ECONNREFUSED.*npm start.*--url/)
  })
})

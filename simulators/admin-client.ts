import { z } from 'zod'
import { zoneSchema, type SensorRegistration, type Zone, type ZoneInput } from '../core/sensor.js'

/**
 * The slice of the admin HTTP API a device installer uses (DESIGN.md section 3): create a
 * zone, register a sensor and receive its secret once. Every failure becomes an
 * AdminApiError whose message says what to do next.
 */
export class AdminApiError extends Error {
  readonly status: number | undefined
  readonly code: string | undefined

  constructor (message: string, status?: number, code?: string) {
    super(message)
    this.name = 'AdminApiError'
    this.status = status
    this.code = code
  }
}

export interface RegisteredSensor {
  id: string
  password: string
}

export interface AdminClient {
  /** 'exists' when the zone was registered before (409), which is fine for a simulator. */
  createZone: (zone: ZoneInput) => Promise<'created' | 'exists'>
  registerSensor: (body: SensorRegistration) => Promise<RegisteredSensor>
}

export interface AdminClientOptions {
  /** Base URL of the platform, e.g. http://127.0.0.1:8080 */
  url: string
  token: string
  timeoutMs?: number
  /** Retries after 429 Too Many Requests, honouring Retry-After. */
  maxRetries?: number
}

/** RFC 9457 problem details, as far as we read them. */
const problemSchema = z.looseObject({
  code: z.string().optional(),
  title: z.string().optional(),
  detail: z.string().optional()
})

const registeredSchema = z.looseObject({
  sensor: z.looseObject({ id: z.string() }),
  credentials: z.looseObject({ username: z.string(), password: z.string() })
})

export function createAdminClient (options: AdminClientOptions): AdminClient {
  const base = options.url.replace(/\/+$/, '')
  const timeoutMs = options.timeoutMs ?? 15_000
  const maxRetries = options.maxRetries ?? 5

  async function post (path: string, body: unknown, what: string): Promise<{ status: number, json: unknown }> {
    for (let attempt = 0; ; attempt++) {
      let response: Response
      try {
        response = await fetch(base + path, {
          method: 'POST',
          headers: { authorization: `Bearer ${options.token}`, 'content-type': 'application/json', accept: 'application/json' },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(timeoutMs)
        })
      } catch (err) {
        throw new AdminApiError(`cannot reach the admin API at ${base} (${networkCause(err)}): start the platform (npm start) or pass --url`)
      }
      const json: unknown = await response.json().catch(() => undefined)
      if (response.status === 429 && attempt < maxRetries) {
        // Retry-After in seconds (RFC 9110 section 10.2.3); without one, back off exponentially.
        const header = response.headers.get('retry-after')
        const waitS = header === null ? NaN : Number(header)
        await sleep(Number.isFinite(waitS) && waitS >= 0 ? Math.min(waitS, 60) * 1000 : 1000 * 2 ** attempt)
        continue
      }
      if (response.ok || response.status === 409) return { status: response.status, json }
      throw explain(response.status, json, base + path, what)
    }
  }

  return {
    async createZone (zone) {
      const { status } = await post('/v1/admin/zones', zone, `zone ${zone.id}`)
      return status === 409 ? 'exists' : 'created'
    },
    async registerSensor (body) {
      const { status, json } = await post('/v1/admin/sensors', body, `sensor ${body.id ?? `of kind ${body.kind}`}`)
      if (status === 409) throw new AdminApiError(`sensor ${body.id} is already registered`, 409, 'REGISTRY_ERR_CONFLICT')
      const parsed = registeredSchema.safeParse(json)
      if (!parsed.success) {
        throw new AdminApiError(`the admin API answered ${status} to POST /v1/admin/sensors without {sensor: {id}, credentials: {username, password}}: is ${base} the Sensorstad platform?`, status)
      }
      return { id: parsed.data.sensor.id, password: parsed.data.credentials.password }
    }
  }
}

/**
 * A zone as the platform registered it, from the public `GET /v1/zones/:id` (no token
 * needed): surge mode sets its counts by the thresholds and capacity the platform will
 * judge them by, which may differ from what this run would register.
 */
export async function readZone (url: string, id: string, timeoutMs = 15_000): Promise<Zone> {
  const target = `${url.replace(/\/+$/, '')}/v1/zones/${encodeURIComponent(id)}`
  let response: Response
  try {
    response = await fetch(target, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(timeoutMs) })
  } catch (err) {
    throw new AdminApiError(`cannot reach the API at ${url} (${networkCause(err)}): start the platform (npm start) or pass --url`)
  }
  const json: unknown = await response.json().catch(() => undefined)
  if (response.status === 404) throw new AdminApiError(`zone ${id} is not registered at ${url}: run again with --fresh to register the sensors and their zones`, 404)
  if (!response.ok) throw new AdminApiError(`GET ${target} failed with ${response.status}; see the platform log`, response.status)
  const parsed = zoneSchema.safeParse(json)
  if (!parsed.success) throw new AdminApiError(`GET ${target} answered ${response.status} without a zone: is ${url} the Sensorstad platform?`, response.status)
  return parsed.data
}

function explain (status: number, json: unknown, url: string, what: string): AdminApiError {
  const problem = problemSchema.safeParse(json)
  const code = problem.success ? problem.data.code : undefined
  const detail = problem.success ? (problem.data.detail ?? problem.data.title) : undefined
  const said = [code, detail].filter(Boolean).join(': ')
  switch (status) {
    case 401:
      return new AdminApiError('401 from admin API: pass --token or set ADMIN_TOKEN (printed when the platform started)', status, code)
    case 403:
      return new AdminApiError('403 from admin API: the token lacks the admin role; pass an admin token with --token', status, code)
    case 404:
      return new AdminApiError(`404 from ${url}: is --url pointing at the Sensorstad platform?`, status, code)
    case 429:
      return new AdminApiError('429 from admin API: still rate limited after several retries; try again in a minute or register fewer sensors at once', status, code)
  }
  if (status >= 500) return new AdminApiError(`admin API failed with ${status}${said ? ` (${said})` : ''} while registering ${what}; see the platform log`, status, code)
  return new AdminApiError(`admin API refused ${what} with ${status}${said ? ` (${said})` : ''}; the platform and simulator may disagree on the contract`, status, code)
}

function networkCause (err: unknown): string {
  if (err instanceof Error && err.name === 'TimeoutError') return 'no answer in time'
  const cause = err instanceof Error ? err.cause : undefined
  if (cause instanceof Error) return typeof (cause as NodeJS.ErrnoException).code === 'string' ? (cause as NodeJS.ErrnoException).code! : cause.message
  return err instanceof Error ? err.message : String(err)
}

function sleep (ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

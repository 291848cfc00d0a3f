/**
 * The admin HTTP API (DESIGN.md section 3) as the admin command calls it: one request at a
 * time with the bearer token, and every failure turned into an AdminCommandError whose message
 * says what went wrong and what to do next, in the platform's own words where it gave them
 * (RFC 9457 problem details: `code`, `detail`).
 */
export class AdminCommandError extends Error {
  readonly status: number | undefined

  constructor (message: string, status?: number) {
    super(message)
    this.name = 'AdminCommandError'
    this.status = status
  }
}

export interface AdminApiOptions {
  /** Base URL of the platform's HTTP server, e.g. http://127.0.0.1:8080 */
  url: string
  token: string
  timeoutMs?: number
}

export type AdminApi = (method: 'GET' | 'POST', path: string, body?: unknown) => Promise<unknown>

export function adminApi (options: AdminApiOptions): AdminApi {
  const base = options.url.replace(/\/+$/, '')
  const timeoutMs = options.timeoutMs ?? 15_000
  return async (method, path, body) => {
    let response: Response
    try {
      response = await fetch(base + path, {
        method,
        headers: {
          authorization: `Bearer ${options.token}`,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' })
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs)
      })
    } catch (err) {
      throw new AdminCommandError(`cannot reach the platform at ${base} (${cause(err)}): start it (npm start) or pass --url`)
    }
    const answer: unknown = await response.json().catch(() => undefined)
    if (response.ok) return answer
    throw refusal(response.status, answer, `${method} ${path}`)
  }
}

function refusal (status: number, answer: unknown, request: string): AdminCommandError {
  const problem = typeof answer === 'object' && answer !== null ? answer as { code?: unknown, detail?: unknown, title?: unknown } : {}
  const said = [problem.code, problem.detail ?? problem.title].filter((part) => typeof part === 'string' && part !== '').join(': ')
  const hint = status === 401
    ? 'pass --token or set ADMIN_TOKEN (the platform printed one at its first start)'
    : status === 403
      ? 'the token lacks the admin role: pass an admin token with --token'
      : status === 429
        ? 'rate limited: wait a minute and try again'
        : status >= 500 ? 'see the platform log' : undefined
  return new AdminCommandError(`${request} answered ${status}${said === '' ? '' : ` (${said})`}${hint === undefined ? '' : `: ${hint}`}`, status)
}

function cause (err: unknown): string {
  if (err instanceof Error && err.name === 'TimeoutError') return 'no answer in time'
  const inner = err instanceof Error ? err.cause as NodeJS.ErrnoException | undefined : undefined
  if (inner !== undefined) return typeof inner.code === 'string' ? inner.code : inner.message
  return err instanceof Error ? err.message : String(err)
}

import { readFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { loadConfig, localHost } from '../core/config.js'
import { isSensorstadError } from '../core/errors.js'
import { adminApi, AdminCommandError, type AdminApi } from './admin-api.js'

/**
 * `npm run admin -- <command>`: the admin tasks of DESIGN.md section 1 (register sensors and
 * zones, suspend, resume, rotate secrets, issue tokens) from a terminal, through the running
 * platform's admin API, so the register stays the one in the platform (and in every process
 * of a scaled-out deployment) and every change is checked and logged there.
 */
export const USAGE = `Usage: npm run admin -- <command> [arguments] [--url URL] [--token TOKEN] [--json]

Administers a running Sensorstad platform through its admin API.

Sensors:
  sensors              every sensor: id, kind, status, zone or location, name
  sensor ID            one sensor's register entry and its MQTT topics
  register FILE        registers a sensor from a JSON file (- reads stdin) and prints its
                       MQTT password, once: store it in the device
  suspend ID           closes the sensor's connection and refuses it until resumed
  resume ID            lets a suspended sensor connect again
  rotate ID            a new MQTT password, printed once; the old one stops working
Zones:
  zones                every zone: id, area, capacity, name
  zone FILE            creates or replaces a zone from a JSON file (- reads stdin)
Tokens:
  token ROLE NAME      issues a bearer token for admin, enforcement or operations, printed once

Options:
  --url URL            the platform (default http://127.0.0.1:$HTTP_PORT)
  --token TOKEN        an admin token (default $ADMIN_TOKEN)
  --timeout SECONDS    how long to wait for an answer (default 15)
  --json               prints the API's JSON answer as it is
  --help               this text

The fields of a sensor and a zone are in the README ("For an admin") and at /docs.
`

export interface AdminIo {
  stdout: (text: string) => void
  stderr: (text: string) => void
  /** The whole of standard input, for FILE `-`. */
  stdin: () => Promise<string>
}

/** A mistake in the command line: exit code 2 and a pointer to --help. */
class UsageError extends Error {}

/** Runs one command; answers the exit code (0 done, 1 refused or failed, 2 a usage mistake). */
export async function runAdmin (argv: readonly string[], env: Record<string, string | undefined>, io: AdminIo): Promise<number> {
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: { url: { type: 'string' }, token: { type: 'string' }, timeout: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }
    })
    if (values.help === true || positionals.length === 0) {
      io.stdout(USAGE)
      return values.help === true ? 0 : 2
    }
    const config = loadConfig(env)
    const token = values.token ?? config.ADMIN_TOKEN
    if (token === undefined) throw new UsageError('no admin token: pass --token or set ADMIN_TOKEN (the platform printed one at its first start)')
    const url = values.url ?? `http://${localHost(config.HTTP_HOST)}:${config.HTTP_PORT}`
    if (sendsTokenInClear(url)) io.stderr(`warning: ${url} is plain HTTP to another machine, so the admin token travels unencrypted; use https://\n`)
    const timeoutS = values.timeout === undefined ? 15 : Number(values.timeout)
    if (!(timeoutS > 0)) throw new UsageError(`--timeout ${values.timeout} is not a number of seconds above 0`)
    const api = adminApi({ url, token, timeoutMs: timeoutS * 1000 })
    const [command, ...args] = positionals
    const answer = await run(command!, args, api, io)
    io.stdout(values.json === true ? `${JSON.stringify(answer.json, null, 2)}\n` : answer.text)
    if (answer.note !== undefined && values.json !== true) io.stderr(`${answer.note}\n`)
    return 0
  } catch (err) {
    if (err instanceof UsageError || (err instanceof TypeError && (err as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS') === true)) {
      io.stderr(`${err.message}\nRun \`npm run admin -- --help\` for every command.\n`)
      return 2
    }
    if (err instanceof AdminCommandError || isSensorstadError(err)) {
      io.stderr(`${err.message}\n`)
      return 1
    }
    throw err
  }
}

interface Answer {
  /** What the API answered, for --json. */
  json: unknown
  /** What a person reads on stdout. */
  text: string
  /** Said on stderr, after the answer: what to do with it. */
  note?: string
}

async function run (command: string, args: string[], api: AdminApi, io: AdminIo): Promise<Answer> {
  const arg = (index: number, name: string): string => {
    const value = args[index]
    if (value === undefined) throw new UsageError(`${command} needs ${name}`)
    return value
  }
  const takes = (count: number): void => {
    if (args.length > count) throw new UsageError(`${command} takes ${count === 0 ? 'no arguments' : `${count} argument${count > 1 ? 's' : ''}`}, not: ${args.join(' ')}`)
  }
  const id = (index = 0): string => encodeURIComponent(arg(index, 'a sensor id'))
  switch (command) {
    case 'sensors': {
      takes(0)
      const json = await api('GET', '/v1/admin/sensors') as { data: Array<Record<string, any>> }
      return { json, text: table(['id', 'kind', 'status', 'where', 'name'], json.data.map((s) => [s.id, s.kind, s.status, s.zoneId ?? (s.location === undefined ? '' : `${s.location.lat},${s.location.lon}`), s.name])) }
    }
    case 'sensor': {
      takes(1)
      const json = await api('GET', `/v1/admin/sensors/${id()}`)
      return { json, text: `${JSON.stringify(json, null, 2)}\n` }
    }
    case 'register': {
      takes(1)
      const json = await api('POST', '/v1/admin/sensors', await readJson(arg(0, 'a JSON file (or - for stdin)'), io)) as Registered
      return { json, text: credentialsText(json), note: `Sensor ${json.credentials.username} registered. The password is shown this once: store it in the device.` }
    }
    case 'suspend':
    case 'resume': {
      takes(1)
      const json = await api('POST', `/v1/admin/sensors/${id()}/${command}`) as { id: string, status: string }
      return { json, text: `${json.id}: ${json.status}\n` }
    }
    case 'rotate': {
      takes(1)
      const json = await api('POST', `/v1/admin/sensors/${id()}/rotate`) as Registered
      return { json, text: credentialsText(json), note: `New password for ${json.credentials.username}, shown this once; the old one no longer works and its connection was closed.` }
    }
    case 'zones': {
      takes(0)
      const json = await api('GET', '/v1/admin/zones') as { data: Array<Record<string, any>> }
      return { json, text: table(['id', 'area m2', 'capacity', 'name'], json.data.map((z) => [z.id, String(Math.round(z.areaM2)), z.capacity === undefined ? '' : String(z.capacity), z.name])) }
    }
    case 'zone': {
      takes(1)
      const json = await api('POST', '/v1/admin/zones', await readJson(arg(0, 'a JSON file (or - for stdin)'), io)) as { id: string, areaM2: number }
      return { json, text: `zone ${json.id} stored, walkable area ${Math.round(json.areaM2)} m2\n` }
    }
    case 'token': {
      takes(2)
      const json = await api('POST', '/v1/admin/tokens', { role: arg(0, 'a role (admin, enforcement or operations)'), name: arg(1, 'a name saying whose token it is') }) as { token: string, role: string, name: string }
      return { json, text: `${json.token}\n`, note: `Token for ${json.name} (${json.role}), shown this once.` }
    }
    default:
      throw new UsageError(`unknown command ${command}`)
  }
}

/** Plain http to anything but this machine: the bearer token would cross the network readable (RFC 6750 section 5.3). */
export function sendsTokenInClear (url: string): boolean {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new UsageError(`--url ${url} is not a URL, e.g. http://127.0.0.1:8080`)
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new UsageError(`--url ${url} is not an http:// or https:// URL`)
  const loopback = parsed.hostname === 'localhost' || parsed.hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(parsed.hostname)
  return parsed.protocol === 'http:' && !loopback
}

interface Registered { credentials: { username: string, password: string, clientId: string }, topics?: Record<string, string> }

function credentialsText ({ credentials, topics }: Registered): string {
  const lines = [`username:  ${credentials.username}`, `password:  ${credentials.password}`, `client id: ${credentials.clientId}`]
  for (const [channel, topic] of Object.entries(topics ?? {})) lines.push(`${`${channel}:`.padEnd(10)} ${topic}`)
  return `${lines.join('\n')}\n`
}

async function readJson (file: string, io: AdminIo): Promise<unknown> {
  let text: string
  try {
    text = file === '-' ? await io.stdin() : await readFile(file, 'utf8')
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as Error).message}`)
  }
  try {
    return JSON.parse(text)
  } catch (err) {
    throw new UsageError(`${file === '-' ? 'standard input' : file} is not JSON: ${(err as Error).message}`)
  }
}

/** Columns padded to their widest cell; the last one runs free. */
function table (head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: string[]): string => cells.map((c, i) => i === cells.length - 1 ? c : c.padEnd(widths[i]!)).join('  ').trimEnd()
  return `${[line(head), ...rows.map(line)].join('\n')}\n`
}

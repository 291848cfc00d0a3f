import { existsSync, readFileSync, statSync } from 'node:fs'
import { join, posix } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { configSchema, loadConfig, type Config } from '../../core/config.js'
import { loadKinds } from '../../registry/kind-catalog.js'
import { influxQlProblems } from './influxql-check.js'

// The deployment files (Dockerfile, docker-compose.yml, infra/grafana/) are not run by any
// other test: no Docker engine on CI. These checks tie them to what they must agree with:
// core/config.ts, the kinds in registry/kinds and the InfluxDB schema the store writes.

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const read = (path: string): string => readFileSync(join(ROOT, path), 'utf8')
const readYaml = (path: string): unknown => parse(read(path), { merge: true })

const CONFIG_KEYS = new Set(Object.keys(configSchema.shape))
const KINDS = loadKinds()
/** Kinds whose readings go to InfluxDB: all but those with ride rules (bicycles, in the grid store). */
const INFLUX_KINDS = [...KINDS.values()].filter((kind) => kind.privacy.rides === undefined).map((kind) => kind.id)
const RIDE_KINDS = [...KINDS.values()].filter((kind) => kind.privacy.rides !== undefined).map((kind) => kind.id)

// --- docker-compose.yml -------------------------------------------------------------------

type Mount = string | { type?: string, source?: string, target: string }
interface ComposeService {
  image?: string
  build?: unknown
  environment?: Record<string, string | number | boolean | null> | string[]
  ports?: Array<string | number | { target: number | string, published?: number | string }>
  volumes?: Mount[]
  healthcheck?: { test?: string | string[] }
  depends_on?: string[] | Record<string, { condition?: string }>
}
interface Compose { services: Record<string, ComposeService>, volumes?: Record<string, unknown> }

const compose = readYaml('docker-compose.yml') as Compose

function service (name: string): ComposeService {
  const found = compose.services[name]
  if (found === undefined) throw new Error(`docker-compose.yml has no service ${name}`)
  return found
}

/** A service's environment as a map; a variable listed without a value is undefined. */
function environment (s: ComposeService): Record<string, string | undefined> {
  const env = s.environment ?? {}
  if (Array.isArray(env)) {
    return Object.fromEntries(env.map((entry) => {
      const at = entry.indexOf('=')
      return at === -1 ? [entry, undefined] : [entry.slice(0, at), entry.slice(at + 1)]
    }))
  }
  return Object.fromEntries(Object.entries(env).map(([key, value]) => [key, value === null ? undefined : String(value)]))
}

/** True for a value compose fills in from the shell or an .env file (`${X}`, `$X`). */
const interpolated = (value: string): boolean => /\$(\{|[A-Za-z_])/.test(value.replaceAll('$$', ''))

function containerPort (entry: string | number | { target: number | string }): number {
  if (typeof entry === 'number') return entry
  if (typeof entry === 'object') return Number(entry.target)
  const parts = entry.replace(/\/(tcp|udp)$/, '').split(':')
  return Number(parts[parts.length - 1])
}

function mounts (s: ComposeService): Array<{ source?: string, target: string }> {
  return (s.volumes ?? []).map((mount) => {
    if (typeof mount === 'object') return { source: mount.source, target: mount.target }
    const [first = '', second] = mount.split(':')
    return second === undefined ? { target: first } : { source: first, target: second }
  })
}

const isBind = (source: string): boolean => /^[./~]/.test(source)

// --- Dockerfile ---------------------------------------------------------------------------

const dockerfile = read('Dockerfile')
  .replace(/\\\r?\n/g, ' ')
  .split(/\r?\n/)
  .map((line) => line.trim())
  .filter((line) => line !== '' && !line.startsWith('#'))
  .map((line) => {
    const [op = '', ...rest] = line.split(/\s+/)
    return { op: op.toUpperCase(), args: rest.join(' ') }
  })
const instructions = (op: string): string[] => dockerfile.filter((i) => i.op === op).map((i) => i.args)

const dockerEnv: Record<string, string> = {}
for (const args of instructions('ENV')) {
  if (!/^\w+=/.test(args)) {
    const [key = '', ...value] = args.split(/\s+/)
    dockerEnv[key] = value.join(' ')
    continue
  }
  for (const match of args.matchAll(/(\w+)=("[^"]*"|'[^']*'|\S*)/g)) {
    dockerEnv[match[1] ?? ''] = (match[2] ?? '').replace(/^(["'])(.*)\1$/, '$2')
  }
}

/** `["a", "b"]` (exec form) or `a b` (shell form) into words. */
function words (args: string): string[] {
  return args.startsWith('[') ? JSON.parse(args) as string[] : args.split(/\s+/)
}

const workdir = instructions('WORKDIR').at(-1) ?? '/'

/** The settings the platform runs with in compose: Dockerfile ENV, then compose literals. */
function platformConfig (): Config {
  const literals = Object.fromEntries(Object.entries(environment(service('platform')))
    .filter((entry): entry is [string, string] => entry[1] !== undefined && !interpolated(entry[1])))
  return loadConfig({ ...dockerEnv, ...literals })
}

// --- Grafana ------------------------------------------------------------------------------

interface Datasource { name: string, type: string, uid?: string, url?: string, database?: string, jsonData?: { dbName?: string, version?: string } }
const datasources = (readYaml('infra/grafana/provisioning/datasources/influxdb.yml') as { datasources?: Datasource[] }).datasources ?? []
const providers = (readYaml('infra/grafana/provisioning/dashboards/sensorstad.yml') as { providers?: Array<{ type?: string, options?: { path?: string } }> }).providers ?? []

interface DatasourceRef { type?: string, uid?: string }
interface Target { refId?: string, datasource?: DatasourceRef, rawQuery?: boolean, query?: string }
interface Panel { id?: number, type: string, title?: string, datasource?: DatasourceRef | string | null, targets?: Target[], panels?: Panel[], options?: { content?: string } }
interface Variable { name: string, type: string, datasource?: DatasourceRef | string | null, query?: string | { query?: string } }
interface Dashboard { uid?: string, title?: string, schemaVersion?: number, panels?: Panel[], templating?: { list?: Variable[] } }

const DASHBOARD_FILE = 'infra/grafana/dashboards/sensorstad.json'
const dashboard = JSON.parse(read(DASHBOARD_FILE)) as Dashboard
const panels = (function flatten (list: Panel[]): Panel[] {
  return list.flatMap((panel) => [panel, ...flatten(panel.panels ?? [])])
})(dashboard.panels ?? [])
const variables = dashboard.templating?.list ?? []
const influxTargets = panels.flatMap((panel) => (panel.targets ?? []).map((target) => ({ panel, target })))
const variableQuery = (v: Variable): string | undefined => typeof v.query === 'string' ? v.query : v.query?.query

/** Every InfluxQL query of the dashboard, named by where it is. */
function dashboardQueries (): Array<{ where: string, query: string }> {
  return [
    ...influxTargets.map(({ panel, target }) => ({ where: `panel "${panel.title ?? panel.id}" ${target.refId ?? ''}`, query: target.query ?? '' })),
    ...variables.filter((v) => v.type === 'query').map((v) => ({ where: `variable ${v.name}`, query: variableQuery(v) ?? '' }))
  ]
}

describe('docker-compose.yml', () => {
  const env = environment(service('platform'))

  it('gives Grafana, which shows exact counts per crowd monitor, no anonymous access and no public port', () => {
    const grafana = service('grafana')
    expect(environment(grafana).GF_AUTH_ANONYMOUS_ENABLED).toBe('false')
    expect((grafana.ports ?? []).map(String).every((p) => p.startsWith('127.0.0.1:'))).toBe(true)
  })

  it('sets on the platform only variables that core/config.ts reads (a misspelt one would be ignored)', () => {
    expect(Object.keys(env).filter((key) => !CONFIG_KEYS.has(key))).toStrictEqual([])
  })

  it('gives the platform literal values core/config.ts accepts and ADMIN_TOKEN only from the environment', () => {
    expect(() => platformConfig()).not.toThrow()
    // A token written into the compose file would be the same on every installation.
    expect(env.ADMIN_TOKEN).toMatch(/^\$\{ADMIN_TOKEN:\?[^}]+\}$/)
  })

  it('publishes the HTTP, MQTT and MQTT-over-WebSocket ports the platform listens on, and the image exposes them', () => {
    const config = platformConfig()
    const listening = [config.HTTP_PORT, config.MQTT_PORT, config.MQTT_WS_PORT]
    expect((service('platform').ports ?? []).map(containerPort)).toEqual(expect.arrayContaining(listening))
    const exposed = instructions('EXPOSE').flatMap(words).map((port) => Number(port.replace(/\/(tcp|udp)$/, '')))
    expect(exposed).toEqual(expect.arrayContaining(listening))
  })

  it('checks the platform health on its own /healthz', () => {
    const test = service('platform').healthcheck?.test
    const command = Array.isArray(test) ? test.join(' ') : test ?? ''
    expect(command).toContain(`:${platformConfig().HTTP_PORT}/healthz`)
  })

  it('keeps DATA_DIR on a named volume', () => {
    const dataDir = posix.resolve(workdir, platformConfig().DATA_DIR)
    const mount = mounts(service('platform')).find((m) => posix.resolve(workdir, m.target) === dataDir)
    expect(mount?.source, `no volume at DATA_DIR ${dataDir}`).toBeDefined()
    expect(isBind(mount?.source ?? '.')).toBe(false)
  })

  it('declares every named volume a service mounts', () => {
    const named = Object.values(compose.services).flatMap((s) => mounts(s))
      .flatMap((m) => m.source !== undefined && !isBind(m.source) ? [m.source] : [])
    expect(named.filter((name) => !(name in (compose.volumes ?? {})))).toStrictEqual([])
  })

  it('points the platform at the influxdb service, on the database it creates, and waits until it is healthy', () => {
    const url = new URL(env.INFLUX_URL ?? '')
    const target = service(url.hostname)
    expect(target.image).toMatch(/^influxdb:/)
    expect(url.port).toBe('8086')
    expect(target.healthcheck?.test).toBeDefined()
    expect(environment(target).INFLUXDB_DB).toBe(env.INFLUX_DB)
    const dependsOn = service('platform').depends_on
    expect(Array.isArray(dependsOn) ? undefined : dependsOn?.[url.hostname]?.condition).toBe('service_healthy')
  })

  it('mounts the Grafana provisioning, and the dashboards where the provider and the home dashboard setting look', () => {
    const grafana = service('grafana')
    const binds = mounts(grafana).filter((m) => m.source !== undefined && isBind(m.source))
    const hostPath = (containerPath: string): string | undefined => {
      const bind = binds.find((m) => containerPath === m.target || containerPath.startsWith(`${m.target}/`))
      return bind === undefined ? undefined : join(ROOT, bind.source ?? '', containerPath.slice(bind.target.length))
    }
    expect(hostPath('/etc/grafana/provisioning')).toBe(join(ROOT, 'infra/grafana/provisioning'))
    expect(providers.length).toBeGreaterThan(0)
    for (const provider of providers) {
      const folder = hostPath(provider.options?.path ?? '')
      expect(folder, `provider path ${provider.options?.path} is not mounted`).toBeDefined()
      expect(existsSync(join(folder ?? '', 'sensorstad.json'))).toBe(true)
    }
    const home = environment(grafana).GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH
    if (home !== undefined) expect(hostPath(home)).toBe(join(ROOT, DASHBOARD_FILE))
  })
})

describe('Dockerfile', () => {
  it('starts main.ts', () => {
    const cmd = words(instructions('CMD').at(-1) ?? '')
    const start = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts.start ?? ''
    const runs = cmd.join(' ') === 'npm start' || cmd.join(' ') === 'npm run start' ? start.split(/\s+/) : cmd
    expect(runs).toContain('main.ts')
    expect(runs.some((word) => word === 'tsx' || word.endsWith('/tsx'))).toBe(true)
    expect(statSync(join(ROOT, 'main.ts')).isFile()).toBe(true)
  })

  it('runs node itself, so `docker stop` (SIGTERM) reaches the platform and queued readings are written', () => {
    // npm and npx exit on SIGTERM without passing it on; the platform would then be killed.
    const cmd = words(instructions('CMD').at(-1) ?? '')
    expect(instructions('ENTRYPOINT')).toStrictEqual([])
    expect(cmd[0]).toBe('node')
  })

  it('builds on Node 20 with npm ci, runs as the node user and keeps DATA_DIR on a volume', () => {
    expect(instructions('FROM').at(-1)).toMatch(/^node:20[.-]/)
    expect(instructions('RUN').some((run) => /\bnpm ci\b/.test(run) && !/--omit[= ]dev|--production/.test(run))).toBe(true)
    expect(instructions('USER').at(-1)).toBe('node')
    const volumes = instructions('VOLUME').flatMap(words)
    expect(volumes).toContain(posix.resolve(workdir, dockerEnv.DATA_DIR ?? configSchema.shape.DATA_DIR.parse(undefined)))
  })

  it('sets only environment variables that core/config.ts reads, besides npm and Node ones', () => {
    const unknown = Object.keys(dockerEnv).filter((key) => !CONFIG_KEYS.has(key) && !/^(NPM_CONFIG_|NODE_)/.test(key))
    expect(unknown).toStrictEqual([])
    expect(dockerEnv.NODE_ENV, 'NODE_ENV=production before npm ci would leave tsx out').toBeUndefined()
  })

  it('leaves node_modules, data and .git out of the build context', () => {
    const ignored = read('.dockerignore').split(/\r?\n/).map((line) => line.trim().replace(/^\/|\/$/g, ''))
    expect(ignored).toEqual(expect.arrayContaining(['node_modules', 'data', '.git']))
  })
})

describe('Grafana provisioning', () => {
  it('provisions one InfluxQL data source on the compose influxdb service and the platform database', () => {
    const influx = datasources.filter((ds) => ds.type === 'influxdb')
    expect(influx).toHaveLength(1)
    const ds = influx[0]
    expect(ds?.uid).toBe('sensorstad-influx')
    expect(ds?.jsonData?.version ?? 'InfluxQL').toBe('InfluxQL')
    const url = new URL(ds?.url ?? '')
    expect(service(url.hostname).image).toMatch(/^influxdb:/)
    const database = ds?.jsonData?.dbName ?? ds?.database
    expect(database).toBe(environment(service(url.hostname)).INFLUXDB_DB)
    if (ds?.database !== undefined && ds.jsonData?.dbName !== undefined) expect(ds.database).toBe(ds.jsonData.dbName)
    const platformDb = environment(service('platform')).INFLUX_DB
    if (platformDb !== undefined) expect(database).toBe(platformDb)
  })

  it('loads the dashboards from files', () => {
    expect(providers.map((p) => p.type)).toStrictEqual(['file'])
  })
})

describe('the Sensorstad dashboard', () => {
  const uids = new Set(datasources.map((ds) => ds.uid))
  const database = datasources[0]?.jsonData?.dbName ?? datasources[0]?.database ?? ''

  it('is a Grafana dashboard with a uid and unique panel ids', () => {
    expect(dashboard.title).toBe('Sensorstad')
    expect(dashboard.uid).toMatch(/^[\w-]{1,40}$/)
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36)
    const ids = panels.map((panel) => panel.id)
    expect(ids.every((id) => Number.isInteger(id))).toBe(true)
    expect(new Set(ids).size).toBe(ids.length)
  })

  it('refers only to the provisioned data source, by uid, in every panel, query and variable', () => {
    const refs = [
      ...panels.filter((panel) => (panel.targets ?? []).length > 0).map((panel) => ({ where: `panel "${panel.title}"`, ref: panel.datasource })),
      ...influxTargets.map(({ panel, target }) => ({ where: `panel "${panel.title}" ${target.refId}`, ref: target.datasource })),
      ...variables.filter((v) => v.type === 'query').map((v) => ({ where: `variable ${v.name}`, ref: v.datasource }))
    ]
    expect(refs.length).toBeGreaterThan(0)
    const bad = refs.filter(({ ref }) => typeof ref !== 'object' || ref === null || !uids.has(ref.uid)).map(({ where, ref }) => `${where}: ${JSON.stringify(ref)}`)
    expect(bad).toStrictEqual([])
  })

  it('writes every query as raw InfluxQL, so the check below sees all of it', () => {
    const builder = influxTargets.filter(({ target }) => target.rawQuery !== true || typeof target.query !== 'string' || target.query.trim() === '')
    expect(builder.map(({ panel, target }) => `panel "${panel.title}" ${target.refId}`)).toStrictEqual([])
  })

  it('queries only <kind> and <kind>_aggregates of kinds in registry/kinds, their retention policies and declared open fields', () => {
    const queries = dashboardQueries()
    expect(queries.length).toBeGreaterThan(0)
    const problems = queries.flatMap(({ where, query }) => influxQlProblems(query, KINDS, database).map((p) => `${where}: ${p}`))
    expect(problems).toStrictEqual([])
  })

  it('has a panel for every kind stored in InfluxDB', () => {
    const queried = new Set(influxTargets.flatMap(({ target }) => [...(target.query ?? '').matchAll(/\bFROM\s+(?:"[^"]*"\.)?"([^"]+)"/gi)])
      .map((m) => (m[1] ?? '').replace(/_aggregates$/, '')))
    expect(INFLUX_KINDS.filter((kind) => !queried.has(kind))).toStrictEqual([])
  })

  it('says where bicycle data is, and that it is not in InfluxDB', () => {
    const text = panels.filter((panel) => panel.type === 'text').map((panel) => panel.options?.content ?? '').join('\n')
    expect(text).toContain('/v1/grid')
    for (const kind of RIDE_KINDS) expect(text).toContain(`kind=${kind}`)
  })
})

describe('the InfluxQL check itself', () => {
  const ok = 'SELECT mean("value") FROM "raw_crowd"."crowd" WHERE "field" = \'peopleCount\' AND "sensor" =~ /^$crowd_sensor$/ AND $timeFilter GROUP BY time($__interval), "sensor" fill(null)'

  it('accepts a query that fits the schema', () => {
    expect(influxQlProblems(ok, KINDS, 'sensorstad')).toStrictEqual([])
  })

  it.each([
    ['an unknown kind', ok.replaceAll('crowd"', 'crowds"'), 'no kind crowds'],
    ['a field the kind does not declare', ok.replace('peopleCount', 'peopleCnt'), 'not declared by kind crowd'],
    ['bicycle data', 'SELECT mean("value") FROM "raw_snuffelfiets"."snuffelfiets" WHERE "field" = \'pm25\' AND $timeFilter', 'not in InfluxDB'],
    ['the wrong retention policy', ok.replace('"raw_crowd"', '"aggregates"'), 'retention policy raw_crowd'],
    ['no retention policy', ok.replace('"raw_crowd".', ''), 'name its retention policy'],
    ['a field key the measurement lacks', ok.replace('mean("value")', 'mean("sum")'), '"sum" is not a tag or field'],
    ['no field restriction', ok.replace('"field" = \'peopleCount\' AND ', ''), 'must restrict "field"'],
    ['no time filter', ok.replace(' AND $timeFilter', ''), '$timeFilter'],
    ['aggregates without a window', 'SELECT sum("sum") FROM "aggregates"."crowd_aggregates" WHERE "field" = \'peopleCount\' AND $timeFilter', 'must restrict "window"'],
    ['a window the kind lacks', 'SELECT sum("sum") FROM "aggregates"."crowd_aggregates" WHERE "window" = \'5m\' AND "field" = \'peopleCount\' AND $timeFilter', 'window 5m'],
    ['an unquoted field key', ok.replace('"field" = ', 'field = '), 'unquoted identifier field'],
    ['another database', ok.replace('"raw_crowd"', '"other"."raw_crowd"'), 'database other']
  ])('reports %s', (_name, query, expected) => {
    expect(influxQlProblems(query, KINDS, 'sensorstad').join('\n')).toContain(expected)
  })
})

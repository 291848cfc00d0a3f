import { z } from 'zod'
import { SensorstadError } from './errors.js'

/** The parts of the platform a process can run (issue #9); `ROLE=all` is every one of them. */
export const PROCESS_ROLES = ['broker', 'api', 'jobs'] as const
export type ProcessRole = typeof PROCESS_ROLES[number]

/**
 * Every setting of every process, read once at boot from the environment. Nothing else
 * reads `process.env`. Units are in the names (`_MS`, `_BYTES`, `_S`); `.env.example`
 * lists the same variables with their defaults.
 */
const port = z.coerce.number().int().min(0).max(65535)
const positiveInt = z.coerce.number().int().positive()

/** `all`, or roles separated by commas (`broker`, `api,jobs`); the result lists each role once, in PROCESS_ROLES order. */
const roles = z.string().transform((value, ctx): ProcessRole[] => {
  const names = value.split(',').map((r) => r.trim().toLowerCase())
  if (names.length === 1 && names[0] === 'all') return [...PROCESS_ROLES]
  const unknown = names.filter((r) => !(PROCESS_ROLES as readonly string[]).includes(r))
  if (unknown.length > 0) {
    ctx.addIssue({ code: 'custom', message: `"all", or one or more of ${PROCESS_ROLES.join(', ')} separated by commas` })
    return z.NEVER
  }
  return PROCESS_ROLES.filter((r) => names.includes(r))
})

export const configSchema = z.object({
  HTTP_HOST: z.string().default('0.0.0.0'),
  HTTP_PORT: port.default(8080),
  MQTT_HOST: z.string().default('0.0.0.0'),
  MQTT_PORT: port.default(1883),
  /** MQTT over WebSocket (path `/mqtt`); 0 picks a free port, `-1` would be invalid. */
  MQTT_WS_PORT: port.default(8083),
  MQTT_TOPIC_ROOT: z.string().regex(/^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*$/, 'slash-separated levels without wildcards').default('utrecht/v1'),
  /** Largest MQTT packet accepted, checked from the fixed header before the body is buffered. */
  MQTT_MAX_PACKET_BYTES: positiveInt.default(65_536),
  /** Seconds a socket may stay open without CONNECT. */
  MQTT_CONNECT_TIMEOUT_S: positiveInt.default(10),
  /** Seconds a subscriber may leave its socket full before it is dropped, so it holds nobody up. */
  MQTT_DRAIN_TIMEOUT_S: positiveInt.default(30),
  /** MQTT over TLS (1.2 or newer); unset: no TLS listener. Needs MQTT_TLS_CERT_PATH and MQTT_TLS_KEY_PATH. */
  MQTT_TLS_PORT: port.optional(),
  /** The TLS listener's own host, so plain MQTT can stay on loopback (MQTT_HOST) while TLS faces the network. */
  MQTT_TLS_HOST: z.string().default('0.0.0.0'),
  /** PEM certificate chain (leaf first) and its private key, read once at boot. */
  MQTT_TLS_CERT_PATH: z.string().optional(),
  MQTT_TLS_KEY_PATH: z.string().optional(),
  /**
   * Failed CONNECTs per remote IP and per user name before further CONNECTs are refused
   * (CONNACK 5) until the window ends; against credential guessing. Successful logins do not count.
   */
  MQTT_AUTH_FAILURES_PER_MIN: positiveInt.default(10),
  /** The window of MQTT_AUTH_FAILURES_PER_MIN, seconds; a minute unless a test shortens it. */
  MQTT_AUTH_WINDOW_S: positiveInt.default(60),
  /**
   * Enforce each kind's per-sensor publish limit (`rateLimit` in its definition). False only for
   * load tests and bulk replays, which publish one sensor's history faster than any device would.
   */
  MQTT_PUBLISH_RATE_LIMIT: z.stringbool().default(true),
  DATA_DIR: z.string().default('./data'),
  /** Bootstrap admin token; when unset and no admin token exists, one is generated and printed once. */
  ADMIN_TOKEN: z.string().min(24, 'use at least 24 characters').optional(),
  /** URL printed in the start banner and used in links; defaults to http://localhost:HTTP_PORT. */
  PUBLIC_BASE_URL: z.url().optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Group commit: a batch is written when it holds this many readings... */
  INGEST_BATCH_MAX: positiveInt.default(5_000),
  /** ...or when its oldest reading has waited this long. */
  INGEST_FLUSH_MS: positiveInt.default(25),
  /** Readings waiting for the store; past this, new messages wait (no PUBACK, socket paused). */
  INGEST_MAX_PENDING: positiveInt.default(50_000),
  /** Readings per message; a bigger pack is refused whole. */
  INGEST_MAX_READINGS_PER_MESSAGE: positiveInt.default(1_000),
  /** How far a reading's time may lie ahead of the platform clock (device clock skew). */
  INGEST_MAX_FUTURE_S: positiveInt.default(300),
  /** Scan, decode and validate messages on a thread of their own (a second core); false: on the broker's. */
  INGEST_CHECK_THREAD: z.stringbool().default(true),
  /** When the rollup job materialises closed windows (cron with seconds; default 5 s past every minute). */
  ROLLUP_CRON: z.string().default('5 * * * * *'),
  /** When the retention job deletes raw readings past their kind's retention (cron; default 03:17 daily). */
  RETENTION_CRON: z.string().default('17 3 * * *'),
  /** When the day files of open data are written (cron; default 02:30 daily): each kind's newest day that can no longer change. */
  EXPORT_CRON: z.string().default('30 2 * * *'),
  /** Open-data requests per minute per client IP. */
  HTTP_RATE_LIMIT_PER_MIN: positiveInt.default(600),
  /** InfluxDB (v1 HTTP API: 1.x, or 2.x/3.x compatibility) for time series; unset: the embedded store. */
  INFLUX_URL: z.url().optional(),
  INFLUX_DB: z.string().regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, _ or -').default('sensorstad'),
  /** 2.x/3.x: an API token (sent as the v1 password). */
  INFLUX_TOKEN: z.string().min(1).optional(),
  /** 1.x with authentication: a user and password. */
  INFLUX_USER: z.string().min(1).optional(),
  INFLUX_PASSWORD: z.string().min(1).optional(),
  /** Create the database and retention policies on start (1.x); false where an admin made them. */
  INFLUX_SETUP: z.stringbool().default(true),
  /** Milliseconds before an InfluxDB request counts as failed (then retried with backoff). */
  INFLUX_TIMEOUT_MS: positiveInt.default(10_000),
  /**
   * What this process runs (issue #9): `all` (`npm start`), or any of `broker` (MQTT and
   * ingest), `api` (the HTTP API), `jobs` (scheduled jobs, crowd alerts), comma-separated.
   * Anything but all shares state with other processes: it needs REDIS_URL, DATABASE_URL and INFLUX_URL.
   */
  ROLE: roles.default([...PROCESS_ROLES]),
  /** Redis shared by the processes of a deployment: broker sessions and routing, events, job locks. Unset: all in this process. */
  REDIS_URL: z.url({ protocol: /^rediss?$/, error: 'a redis:// or rediss:// URL' }).optional(),
  /** PostgreSQL for the register and the alert events, shared by every process. Unset: the embedded files under DATA_DIR. */
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/, error: 'a postgres:// or postgresql:// URL' }).optional(),
  /** This process's name among its peers (leases, logs); unset: host name and process id. */
  INSTANCE_ID: z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'up to 64 letters, digits, _ . : or -').optional(),
  /**
   * Crowd alerts run in one jobs process at a time, under a lease in Redis renewed every third
   * of this; when its holder dies another takes over within this plus a third, milliseconds.
   */
  LEADER_LEASE_MS: z.coerce.number().int().min(300).default(10_000),
  /** Crowd alerts: a level drops only once density is this fraction below its threshold. */
  ALERT_HYSTERESIS: z.coerce.number().min(0).max(0.5).default(0.1),
  /** Crowd alerts: a higher level must hold this long before it is raised, seconds. */
  ALERT_MIN_DURATION_S: z.coerce.number().int().nonnegative().default(60),
  /** How often zones are evaluated (levels, silent monitors), seconds. */
  ALERT_TICK_S: positiveInt.default(10),
  /** Base map tiles of the dashboards (XYZ template); default PDOK BRT-Achtergrondkaart. */
  DASHBOARD_TILE_URL: z.string().default('https://service.pdok.nl/brt/achtergrondkaart/wmts/v2_0/standaard/EPSG:3857/{z}/{x}/{y}.png'),
  /** Waste collection: where rounds start (WGS 84); default the city's depot at the Kanaalweg. */
  COLLECTION_DEPOT_LAT: z.coerce.number().min(-90).max(90).default(52.0851),
  COLLECTION_DEPOT_LON: z.coerce.number().min(-180).max(180).default(5.0868),
  /** Waste collection: a bin at or above this filling level (%) is on the list. */
  COLLECTION_THRESHOLD_PCT: z.coerce.number().min(1).max(100).default(80),
  /** Waste collection: also list bins predicted to reach the threshold within this many hours. */
  COLLECTION_HORIZON_H: z.coerce.number().positive().max(24 * 14).default(24)
}).superRefine((config, ctx) => {
  if (config.INFLUX_TOKEN !== undefined && config.INFLUX_USER !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['INFLUX_TOKEN'], message: 'set either INFLUX_TOKEN or INFLUX_USER/INFLUX_PASSWORD, not both' })
  }
  if ((config.INFLUX_USER === undefined) !== (config.INFLUX_PASSWORD === undefined)) {
    ctx.addIssue({ code: 'custom', path: ['INFLUX_USER'], message: 'INFLUX_USER and INFLUX_PASSWORD go together' })
  }
  if (config.ROLE.length < PROCESS_ROLES.length) {
    for (const name of ['REDIS_URL', 'DATABASE_URL', 'INFLUX_URL'] as const) {
      if (config[name] === undefined) ctx.addIssue({ code: 'custom', path: [name], message: `${name} is required when ROLE is not all: the processes share their state through it` })
    }
  }
  if (config.MQTT_TLS_PORT !== undefined) {
    for (const name of ['MQTT_TLS_CERT_PATH', 'MQTT_TLS_KEY_PATH'] as const) {
      if (config[name] === undefined) ctx.addIssue({ code: 'custom', path: [name], message: `${name} is required when MQTT_TLS_PORT is set` })
    }
  }
})

export type Config = z.infer<typeof configSchema>

/** Variables whose value is never echoed in an error message. */
const SECRET_VARIABLES: ReadonlySet<string> = new Set<keyof Config>(['ADMIN_TOKEN', 'INFLUX_TOKEN', 'INFLUX_PASSWORD'])
/** URLs that may carry a password (`redis://:secret@host`): echoed without it. */
const URL_VARIABLES: ReadonlySet<string> = new Set<keyof Config>(['INFLUX_URL', 'REDIS_URL', 'DATABASE_URL'])

/**
 * A URL as it may be shown in an error, a log line or a banner: its password replaced by
 * `hidden`. Text that is not a URL is not shown at all, since where a password sits in it
 * cannot be told.
 */
/** The host a client on this machine reaches a listener at: a wildcard bind (all interfaces) by loopback. */
export function localHost (bindHost: string): string {
  return bindHost === '0.0.0.0' || bindHost === '::' || bindHost === '' ? '127.0.0.1' : bindHost
}

export function withoutPassword (url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.password !== '') parsed.password = 'hidden'
    return parsed.toString()
  } catch {
    return '(hidden: not a URL)'
  }
}

/** Parses the environment; a bad value stops the boot with a message naming the variable. */
export function loadConfig (env: Record<string, string | undefined>): Config {
  const input = Object.fromEntries(
    Object.keys(configSchema.shape)
      .filter((key) => env[key] !== undefined && env[key] !== '')
      .map((key) => [key, env[key]])
  )
  const result = configSchema.safeParse(input)
  if (!result.success) {
    const lines = result.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? '?')
      // A refused secret is still somebody's secret; the boot log must not carry it.
      const value = env[name] ?? ''
      const shown = SECRET_VARIABLES.has(name) ? '(hidden)' : JSON.stringify(URL_VARIABLES.has(name) && value !== '' ? withoutPassword(value) : value)
      return `  ${name}=${shown}: ${issue.message}`
    })
    throw new SensorstadError('CONFIG_ERR_INVALID', `Invalid configuration, fix these environment variables:\n${lines.join('\n')}`, String(result.error.issues[0]?.path[0]))
  }
  return result.data
}

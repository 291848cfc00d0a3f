import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { localHost, type Config } from '../core/config.js'

/** Command-line options of `npm run simulate`; defaults come from the platform's own config. */
export const MODES = ['normal', 'load', 'misbehave', 'surge'] as const
export type Mode = typeof MODES[number]

export interface Options {
  help: boolean
  counts: { crowd: number, bikes: number, bins: number }
  /** Readings per second per device in model time; undefined: each kind's own default. */
  rate: number | undefined
  /** Model time runs this many times faster than the wall clock. */
  speed: number
  /** Where the model clock starts, epoch ms; undefined: now. */
  startMs: number | undefined
  /** Seconds to run; 0 until Ctrl-C. */
  durationS: number
  /** Stop after this many messages. */
  max: number
  url: string
  mqtt: string
  token: string | undefined
  credentials: string
  fresh: boolean
  mode: Mode
  qos: 0 | 1
  /** Publishes in flight per device. */
  inflight: number
  seed: number
}

/**
 * Shortest surge, seconds: each level holds for a tenth of the run, and at one reading a
 * second a shorter band may fall between two readings and its level be skipped.
 */
export const MIN_SURGE_S = 10

export class UsageError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'UsageError'
  }
}

export const USAGE = `Usage: npm run simulate -- [options]

Simulated crowd monitors, snuffelfietsen and waste bins against a running Sensorstad platform.

Devices (default 6 crowd, 5 bikes, 10 bins when none is given):
  --crowd N            crowd monitors, spread over the zones around Utrecht Centraal, Vredenburg and Neude
  --bikes N            snuffelfietsen riding routes through Utrecht
  --bins N             smart waste containers in the city centre
Time:
  --rate R             readings per second per device, e.g. 0.5 or 1/60
                       (default per kind: crowd 1/60, bikes 1/10, bins 1/3600; crowd 1 in surge mode)
  --speed S            model time runs S times faster (60: an hour a minute); timestamps stay real
  --start T            model clock start, RFC 3339 (default now), e.g. 2025-06-07T12:00:00+02:00
  --duration S         seconds to run; 0 runs until Ctrl-C (default 0)
  --max N              stop after N messages (default: no limit; 100000 in load mode)
Platform:
  --url URL            admin API (default http://127.0.0.1:$HTTP_PORT)
  --mqtt URL           broker (default mqtt://127.0.0.1:$MQTT_PORT)
  --token T            admin token (default $ADMIN_TOKEN), needed only to register sensors
  --credentials FILE   saved sensors to reuse (default $DATA_DIR/simulator-credentials.json)
  --fresh              register new sensors even if the file has some
Behaviour:
  --mode M             normal | load (as fast as allowed, QoS 1) | misbehave (also sends what must be rejected)
                       | surge (crowd counts rise from quiet past critical and back over --duration, at least
                       ${MIN_SURGE_S} s). Its zones get thresholds in people (busy 50 %, crowded 70 %, critical 90 %
                       of capacity); the peak lies midway between critical and capacity. Each level holds a
                       tenth of the run: with the platform's default ALERT_MIN_DURATION_S (60) use 900 or more.
  --qos 0|1            QoS of readings (default 1)
  --inflight N         publishes in flight per device before readings are skipped (default 16)
  --seed N             seed of the simulated city (default 1); same seed, same data
  --help               this text
`

function parse (argv: readonly string[], config: Config) {
  try {
    return parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        help: { type: 'boolean', short: 'h', default: false },
        crowd: { type: 'string' },
        bikes: { type: 'string' },
        bins: { type: 'string' },
        rate: { type: 'string' },
        speed: { type: 'string', default: '1' },
        start: { type: 'string' },
        duration: { type: 'string', default: '0' },
        max: { type: 'string' },
        url: { type: 'string', default: `http://${localHost(config.HTTP_HOST)}:${config.HTTP_PORT}` },
        mqtt: { type: 'string', default: `mqtt://${localHost(config.MQTT_HOST)}:${config.MQTT_PORT}` },
        token: { type: 'string' },
        credentials: { type: 'string', default: join(config.DATA_DIR, 'simulator-credentials.json') },
        fresh: { type: 'boolean', default: false },
        mode: { type: 'string', default: 'normal' },
        qos: { type: 'string', default: '1' },
        inflight: { type: 'string', default: '16' },
        seed: { type: 'string', default: '1' }
      }
    }).values
  } catch (err) {
    throw new UsageError((err as Error).message)
  }
}

export function parseOptions (argv: readonly string[], config: Config): Options {
  const values = parse(argv, config)

  const mode = values.mode as Mode
  if (!MODES.includes(mode)) throw new UsageError(`--mode must be one of ${MODES.join(', ')}, not "${values.mode}"`)
  const anyCount = values.crowd !== undefined || values.bikes !== undefined || values.bins !== undefined
  const count = (name: string, given: string | undefined, fallback: number): number =>
    given === undefined ? (anyCount ? 0 : fallback) : integer(name, given, 0, 10_000)
  const counts = { crowd: count('--crowd', values.crowd, 6), bikes: count('--bikes', values.bikes, 5), bins: count('--bins', values.bins, 10) }
  if (counts.crowd + counts.bikes + counts.bins === 0) throw new UsageError('no devices: give at least one of --crowd, --bikes, --bins a count above 0')

  const qos = integer('--qos', values.qos, 0, 1) as 0 | 1
  if (mode === 'load' && qos === 0) throw new UsageError('--mode load measures acknowledged throughput and bounds it by PUBACKs: use --qos 1 (the default)')
  const rate = values.rate === undefined ? undefined : fraction('--rate', values.rate)
  const speed = positive('--speed', values.speed, 1_000_000)
  if (mode !== 'load' && rate !== undefined && rate * speed > 1000) {
    throw new UsageError(`--rate ${values.rate} at --speed ${values.speed} is ${rate * speed} messages per second per device; above 1000, use --mode load`)
  }
  const startMs = values.start === undefined ? undefined : Date.parse(values.start)
  if (startMs !== undefined && Number.isNaN(startMs)) throw new UsageError(`--start must be an RFC 3339 time such as 2025-06-07T12:00:00+02:00, not "${values.start}"`)
  const durationS = nonNegative('--duration', values.duration)
  if (mode === 'surge') {
    if (counts.crowd === 0) throw new UsageError('--mode surge drives crowd monitors: give --crowd a count above 0')
    if (durationS < MIN_SURGE_S) throw new UsageError(`--mode surge plays one surge over --duration: give at least ${MIN_SURGE_S} seconds, e.g. --duration 60`)
    // The platform judges levels on the wall clock; a surge in model time would not line up with its ticks.
    if (speed !== 1 || startMs !== undefined) throw new UsageError('--mode surge runs in real time: leave out --speed and --start')
  }

  return {
    help: values.help,
    counts,
    rate,
    speed,
    startMs,
    durationS,
    max: values.max === undefined ? (mode === 'load' ? 100_000 : Infinity) : integer('--max', values.max, 1, Number.MAX_SAFE_INTEGER),
    url: url('--url', values.url, ['http:', 'https:']),
    mqtt: url('--mqtt', values.mqtt, ['mqtt:', 'mqtts:', 'tcp:', 'ssl:', 'ws:', 'wss:']),
    token: values.token ?? config.ADMIN_TOKEN,
    credentials: values.credentials,
    fresh: values.fresh,
    mode,
    qos,
    inflight: integer('--inflight', values.inflight, 1, 65_535),
    seed: integer('--seed', values.seed, 0, 4_294_967_295)
  }
}

function integer (name: string, text: string, min: number, max: number): number {
  const n = /^\d+$/.test(text) ? Number(text) : NaN
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new UsageError(`${name} must be a whole number from ${min} to ${max}, not "${text}"`)
  return n
}

function positive (name: string, text: string, max: number): number {
  const n = Number(text)
  if (text.trim() === '' || !Number.isFinite(n) || n <= 0 || n > max) throw new UsageError(`${name} must be a number above 0 and at most ${max}, not "${text}"`)
  return n
}

function nonNegative (name: string, text: string): number {
  const n = Number(text)
  if (text.trim() === '' || !Number.isFinite(n) || n < 0) throw new UsageError(`${name} must be a number of seconds, 0 or more, not "${text}"`)
  return n
}

/** A positive number, also written as a fraction: `1/60`. */
function fraction (name: string, text: string): number {
  const match = /^\s*([\d.eE+-]+)\s*(?:\/\s*([\d.eE+-]+)\s*)?$/.exec(text)
  const n = match === null ? NaN : Number(match[1]) / (match[2] === undefined ? 1 : Number(match[2]))
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${name} must be a positive number or fraction such as 0.5 or 1/60, not "${text}"`)
  return n
}

function url (name: string, text: string, protocols: readonly string[]): string {
  let parsed: URL
  try {
    parsed = new URL(text)
  } catch {
    throw new UsageError(`${name} must be a URL such as ${protocols[0]}//127.0.0.1:8080, not "${text}"`)
  }
  if (!protocols.includes(parsed.protocol)) throw new UsageError(`${name} must use ${protocols.join(' ')}, not ${parsed.protocol}`)
  return text
}

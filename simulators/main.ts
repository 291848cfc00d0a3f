/**
 * `npm run simulate`: a fleet of simulated sensors for a running Sensorstad platform. It
 * registers crowd monitors (with their zones), snuffelfietsen and smart waste bins through
 * the admin API, or reuses those registered before, then connects each as its own MQTT
 * client and publishes readings with a daily rhythm until Ctrl-C, --duration or --max. It
 * talks to the platform only over the wire, as real devices do, and imports nothing but
 * core/. Load mode measures acknowledged throughput; misbehave mode also sends what the
 * platform must refuse and tallies the refusals by code; surge mode drives each crowd zone
 * from quiet to critical and back once over --duration, to show and test the alerts.
 */
import { loadConfig, type Config } from '../core/config.js'
import { isSensorstadError } from '../core/errors.js'
import { AdminApiError, createAdminClient, readZone } from './admin-client.js'
import { CredentialsFileError } from './credentials-file.js'
import { Device, DeviceConnectError } from './device.js'
import { Fleet, type FleetMember } from './fleet.js'
import { SIMULATED_KINDS, type SimulatedKind } from './models.js'
import { parseOptions, USAGE, UsageError, type Options } from './options.js'
import { startProgress } from './progress.js'
import { provision, type ProvisionedDevice } from './provision.js'
import { Stats } from './stats.js'
import { formatSummary } from './summary.js'
import { surgeProfile, SurgeError, type SurgeProfile } from './surge.js'
import { surgeCrowd, surgeSlots, withSurgeZones, zoneIdOf } from './surge-crowd.js'

/** Clients connecting at once; a connect storm of thousands would only trip the broker's limits. */
const CONNECT_CONCURRENCY = 50
/** Waiting for PUBACKs of what is in flight when stopping, per device, milliseconds. */
const DRAIN_MS = 5_000
/** Rejections arrive on the errors topics after ingest has looked at a message; wait this long for the last ones. */
const LATE_REJECTIONS_MS = 750

const log = (line: string): void => { process.stderr.write(line + '\n') }

/** A failure the user can act on: its message says what to do, a stack trace would not help. */
class StopError extends Error {}

async function main (): Promise<number> {
  let config: Config
  let options: Options
  try {
    config = loadConfig(process.env)
    options = parseOptions(process.argv.slice(2), config)
  } catch (err) {
    if (err instanceof UsageError) log(`${err.message}\nRun \`npm run simulate -- --help\` for all options.`)
    else if (isSensorstadError(err)) log(err.message)
    else throw err
    return 2
  }
  if (options.help) {
    process.stdout.write(USAGE)
    return 0
  }

  const interrupt = new AbortController()
  let signals = 0
  const onSignal = (): void => {
    if (++signals > 1) {
      log('\nstopping now, without waiting for acknowledgements')
      process.exit(130)
    }
    interrupt.abort()
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)

  const surge = options.mode === 'surge'
  const kinds = SIMULATED_KINDS.map((model) => surge && model.kind === 'crowd' ? withSurgeZones(model) : model)
  const plan = kinds.map((model) => ({ model, count: options.counts[model.flag] })).filter((p) => p.count > 0)
  const provisioned = await provision({
    plan,
    file: options.credentials,
    fresh: options.fresh,
    citySeed: options.seed,
    signal: interrupt.signal,
    log,
    admin: () => {
      if (options.token === undefined) throw new AdminApiError('sensors must be registered and there is no admin token: pass --token or set ADMIN_TOKEN (printed when the platform started)')
      return createAdminClient({ url: options.url, token: options.token })
    }
  })
  if (interrupt.signal.aborted) {
    log('interrupted before any reading was sent')
    return 130
  }

  const models = new Map<string, SimulatedKind>(kinds.map((m) => [m.kind, m]))
  const profiles = surge ? await surgeProfiles(provisioned, models.get('crowd')!, options) : new Map<string, SurgeProfile>()

  const stats = new Stats()
  const members = provisioned.map((p) => member(p, models.get(p.kind)!, options, config, stats))
  log(`connecting ${members.length} device(s) to ${options.mqtt}`)
  const connected = await connectAll(members, options, provisioned.length, interrupt.signal)
  if (interrupt.signal.aborted) {
    await Promise.all(connected.map((m) => m.device.close()))
    log('interrupted before any reading was sent')
    return 130
  }
  const denied = connected.filter((m) => m.device.errorsTopicDenied).length
  if (denied > 0) log(`the broker refused the errors-topic subscription of ${denied} device(s): their rejections cannot be counted`)

  const startedMs = Date.now()
  const modelStartMs = options.startMs ?? startedMs
  const driven = surge ? surgeMembers(connected, profiles, modelStartMs, options) : connected
  let resolveStop: (reason: string) => void = () => {}
  const stopped = new Promise<string>((resolve) => { resolveStop = resolve })
  interrupt.signal.addEventListener('abort', () => resolveStop('Ctrl-C'), { once: true })
  const fleet = new Fleet(driven, {
    mode: options.mode,
    rate: options.rate,
    speed: options.speed,
    modelStartMs,
    max: options.max,
    stats,
    onMax: () => resolveStop(`--max ${options.max}`)
  })
  const durationTimer = options.durationS > 0 ? setTimeout(() => resolveStop(`--duration ${options.durationS}`), options.durationS * 1000) : undefined
  log(`simulating ${describeFleet(connected)}; ${options.mode} mode, QoS ${options.qos}${options.speed === 1 ? '' : `, model time x${options.speed}`}; ${options.durationS > 0 ? `stops after ${options.durationS} s or on Ctrl-C` : 'Ctrl-C stops'}`)
  fleet.start()
  const progress = startProgress({
    stream: process.stderr,
    stats,
    qos: options.qos,
    fleet: () => ({ inFlight: fleet.inFlight, connected: fleet.connected, devices: fleet.size, modelMs: options.mode === 'load' ? undefined : fleet.modelTime() })
  })

  const stopReason = await stopped
  const elapsedS = (Date.now() - startedMs) / 1000
  clearTimeout(durationTimer)
  await fleet.stop()
  // Give the broker a moment to acknowledge what is in flight before the line is final.
  await Promise.all(connected.map((m) => m.device.drain(DRAIN_MS)))
  await new Promise((resolve) => setTimeout(resolve, LATE_REJECTIONS_MS))
  progress.stop()
  const connectedAtEnd = fleet.connected
  const inFlightAtEnd = fleet.inFlight
  await Promise.all(connected.map((m) => m.device.close(1_000)))

  const devicesByKind = new Map<string, number>()
  for (const m of connected) devicesByKind.set(m.model.kind, (devicesByKind.get(m.model.kind) ?? 0) + 1)
  process.stdout.write(formatSummary({
    elapsedS,
    mode: options.mode,
    qos: options.qos,
    stopReason,
    devicesByKind,
    connectedAtEnd,
    inFlightAtEnd,
    connectionProblems: connected.flatMap((m) => m.device.lastError === undefined ? [] : [`${m.device.id}: ${m.device.lastError}`]),
    stats,
    credentials: options.credentials
  }))
  return 0
}

/**
 * The surge of every zone the crowd monitors count in, from the zone as registered: when the
 * sensors were reused, their zones were not registered again by this run and may carry
 * other thresholds, and a zone whose critical level lies above its capacity stops the run.
 */
async function surgeProfiles (devices: readonly ProvisionedDevice[], crowd: SimulatedKind, options: Options): Promise<Map<string, SurgeProfile>> {
  const zoneIds = new Set(devices.filter((d) => d.kind === crowd.kind).flatMap((d) => zoneIdOf(crowd, d.index, d.seed) ?? []))
  const profiles = new Map<string, SurgeProfile>()
  for (const id of zoneIds) {
    try {
      const profile = surgeProfile(await readZone(options.url, id))
      profiles.set(id, profile)
      log(`surge in ${id}: ${profile.quiet} -> busy ${profile.busy}, crowded ${profile.crowded}, critical ${profile.critical} -> peak ${profile.peak} people`)
    } catch (err) {
      if (!(err instanceof SurgeError)) throw err
      throw new StopError(`${err.message}. Run again with --fresh: surge mode registers new sensors and their zones with thresholds in people below the capacity`)
    }
  }
  return profiles
}

/** The connected devices with their crowd monitors sending the surge; monitors sharing a zone split its count. */
function surgeMembers (connected: readonly FleetMember[], profiles: ReadonlyMap<string, SurgeProfile>, startMs: number, options: Options): FleetMember[] {
  const monitors = connected.filter((m) => m.model.kind === 'crowd')
  const slots = surgeSlots(monitors.flatMap((m) => {
    const zoneId = zoneIdOf(m.model, m.context.index, m.context.seed)
    return zoneId === undefined ? [] : [{ index: m.context.index, zoneId }]
  }))
  const kind = monitors[0] === undefined ? undefined : surgeCrowd(monitors[0].model, { startMs, durationMs: options.durationS * 1000, profiles, slots })
  return connected.map((m) => kind !== undefined && m.model.kind === kind.kind ? { ...m, model: kind } : m)
}

function member (p: ProvisionedDevice, model: SimulatedKind, options: Options, config: Config, stats: Stats): FleetMember {
  return {
    model,
    context: { sensorId: p.id, index: p.index, seed: p.seed, citySeed: options.seed },
    device: new Device({
      id: p.id,
      kind: p.kind,
      password: p.password,
      brokerUrl: options.mqtt,
      topicRoot: config.MQTT_TOPIC_ROOT,
      qos: options.qos,
      maxInFlight: options.inflight,
      stats
    })
  }
}

/**
 * Connects the first device alone, so an unreachable broker or stale credentials stop the run
 * with one clear message, then the rest in batches. Devices that fail are left out with a
 * warning; none connecting at all is fatal.
 */
async function connectAll (members: readonly FleetMember[], options: Options, total: number, signal: AbortSignal): Promise<FleetMember[]> {
  const [first, ...rest] = members
  if (first === undefined) throw new StopError('no devices to connect')
  try {
    await first.device.connect()
  } catch (err) {
    throw err instanceof DeviceConnectError ? new StopError(explainConnectFailure(err, options)) : err
  }
  const connected = [first]
  const failures: DeviceConnectError[] = []
  for (let i = 0; i < rest.length && !signal.aborted; i += CONNECT_CONCURRENCY) {
    const batch = rest.slice(i, i + CONNECT_CONCURRENCY)
    const results = await Promise.allSettled(batch.map((m) => m.device.connect()))
    results.forEach((result, j) => {
      if (result.status === 'fulfilled') connected.push(batch[j]!)
      else if (result.reason instanceof DeviceConnectError) failures.push(result.reason)
      else throw result.reason
    })
  }
  if (failures.length > 0) log(`${failures.length} of ${total} device(s) could not connect and are left out; first: ${explainConnectFailure(failures[0]!, options)}`)
  return connected
}

function explainConnectFailure (err: DeviceConnectError, options: Options): string {
  switch (err.failure) {
    case 'unreachable':
      return `${err.message} at ${options.mqtt}: start the platform (npm start) or pass --mqtt`
    case 'timeout':
      return `${err.message} from ${options.mqtt}: is that an MQTT broker? check --mqtt`
    case 'refused':
      return `${err.message}. If the platform's data was reset, the sensors saved in ${options.credentials} no longer exist: run again with --fresh to register new ones`
  }
}

function describeFleet (members: readonly FleetMember[]): string {
  const byKind = new Map<string, number>()
  for (const m of members) byKind.set(m.model.kind, (byKind.get(m.model.kind) ?? 0) + 1)
  return [...byKind].map(([kind, n]) => `${n} ${kind}`).join(', ')
}

main().then(
  (code) => {
    process.exitCode = code
    // A client that will not let go must not keep a finished run alive.
    setTimeout(() => process.exit(code), 3_000).unref()
  },
  (err: unknown) => {
    const expected = err instanceof AdminApiError || err instanceof CredentialsFileError || err instanceof StopError || err instanceof SurgeError
    log(expected ? (err as Error).message : (err instanceof Error ? err.stack ?? err.message : String(err)))
    process.exitCode = 1
  }
)

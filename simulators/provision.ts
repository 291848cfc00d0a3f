import { randomBytes } from 'node:crypto'
import { AdminApiError, type AdminClient } from './admin-client.js'
import { readCredentials, writeCredentials, type Credential } from './credentials-file.js'
import { deviceSeed, type SimulatedKind, type SimulatedKindId } from './models.js'

/**
 * Brings the register up to the fleet the user asked for: reuses sensors saved in the
 * credentials file (the i-th saved sensor of a kind is device i of that kind), registers
 * the missing ones with their zones through the admin API, and saves the file again.
 */
export interface ProvisionedDevice extends Credential {
  kind: SimulatedKindId
  index: number
  seed: number
}

export interface ProvisionOptions {
  plan: ReadonlyArray<{ model: SimulatedKind, count: number }>
  file: string
  /** Ignore the saved sensors and register new ones. */
  fresh: boolean
  citySeed: number
  /** Called only when something must be registered, so reusing sensors needs no token. */
  admin: () => AdminClient
  signal: AbortSignal
  log: (line: string) => void
  /** Registrations at once; the platform hashes each new secret (scrypt), which takes a while. */
  concurrency?: number
}

interface Missing {
  model: SimulatedKind
  index: number
}

export async function provision (options: ProvisionOptions): Promise<ProvisionedDevice[]> {
  const saved = options.fresh ? [] : await readCredentials(options.file)
  const devices: ProvisionedDevice[] = []
  const missing: Missing[] = []
  for (const { model, count } of options.plan) {
    const mine = saved.filter((c) => c.kind === model.kind)
    for (let index = 0; index < count; index++) {
      const credential = mine[index]
      if (credential !== undefined) devices.push({ ...credential, kind: model.kind, index, seed: deviceSeed(options.citySeed, model.kind, index) })
      else missing.push({ model, index })
    }
  }
  if (devices.length > 0) options.log(`reusing ${devices.length} sensor(s) from ${options.file}`)
  if (missing.length === 0) return devices

  const admin = options.admin()
  await createZones(admin, missing, options)
  const registered = new Map<Missing, Credential>()
  // Six hex characters keep ids from this run apart from earlier runs against the same register.
  const tag = randomBytes(3).toString('hex')
  try {
    await eachLimited(missing, options.concurrency ?? 4, options.signal, async (m) => {
      const { body } = m.model.registration(m.index, deviceSeed(options.citySeed, m.model.kind, m.index))
      const id = `sim-${m.model.kind}-${tag}-${String(m.index + 1).padStart(3, '0')}`
      const sensor = await admin.registerSensor({ id, ...body }).catch(async (err: unknown) => {
        // Taken after all: let the platform choose the id.
        if (err instanceof AdminApiError && err.status === 409) return await admin.registerSensor(body)
        throw err
      })
      registered.set(m, { id: sensor.id, kind: m.model.kind, password: sensor.password })
    })
  } finally {
    const kept = keptInOrder(missing, registered)
    if (kept.length > 0) {
      await writeCredentials(options.file, [...saved, ...kept.map(([, c]) => c)])
      options.log(`registered ${kept.length} sensor(s); credentials saved to ${options.file}`)
    }
    const orphans = registered.size - kept.length
    if (orphans > 0) options.log(`${orphans} sensor(s) registered after a failed registration were not saved; they stay unused in the register`)
    for (const [m, c] of kept) devices.push({ ...c, kind: m.model.kind, index: m.index, seed: deviceSeed(options.citySeed, m.model.kind, m.index) })
  }
  return devices
}

async function createZones (admin: AdminClient, missing: readonly Missing[], options: ProvisionOptions): Promise<void> {
  const zones = new Map(missing.flatMap((m) => {
    const { zone } = m.model.registration(m.index, deviceSeed(options.citySeed, m.model.kind, m.index))
    return zone === undefined ? [] : [[zone.id, zone] as const]
  }))
  if (zones.size === 0) return
  let created = 0
  for (const zone of zones.values()) {
    if (await admin.createZone(zone) === 'created') created++
  }
  options.log(`zones: ${created} created, ${zones.size - created} already registered`)
}

/**
 * The registered sensors that can be saved: per kind, the unbroken run from the first
 * missing index, because a sensor's place among its kind in the file is its index.
 */
function keptInOrder (missing: readonly Missing[], registered: ReadonlyMap<Missing, Credential>): Array<[Missing, Credential]> {
  const kept: Array<[Missing, Credential]> = []
  const broken = new Set<string>()
  for (const m of missing) {
    const credential = registered.get(m)
    if (credential === undefined) broken.add(m.model.kind)
    else if (!broken.has(m.model.kind)) kept.push([m, credential])
  }
  return kept
}

/** Runs `work` over `items`, `limit` at a time, in order; stops starting new work on the first failure or on abort. */
async function eachLimited<T> (items: readonly T[], limit: number, signal: AbortSignal, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  let failure: { err: unknown } | undefined
  const worker = async (): Promise<void> => {
    while (failure === undefined && !signal.aborted && next < items.length) {
      const item = items[next++]!
      try {
        await work(item)
      } catch (err) {
        failure ??= { err }
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  if (failure !== undefined) throw failure.err
}

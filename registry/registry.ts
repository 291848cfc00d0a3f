import { EventEmitter } from 'node:events'
import { randomBytes } from 'node:crypto'
import { isDeepStrictEqual } from 'node:util'
import { SensorstadError } from '../core/errors.js'
import { polygonAreaM2 } from '../core/geo.js'
import type { RegistryStore } from '../core/ports/registry-store.js'
import type { ApiToken, Role, Sensor, SensorRegistration, Zone, ZoneInput } from '../core/sensor.js'
import type { KindCatalog } from './kind-catalog.js'
import { RegisterReconciler, type RegisterMaps } from './register-reconciler.js'
import { RegistryFollower } from './registry-follower.js'
import { hashSecret, newSecret, VerifiedSecretCache, verifySecret } from './secrets.js'

/**
 * The register: which sensors and zones exist, what each may send, and who may use the API.
 * Kept in memory (read on every MQTT connect and publish) and written through the
 * `RegistryStore` port. Emits `sensor-revoked` (sensor id) once when an active sensor is
 * suspended or its secret rotated, so the broker can close its connection. Over a store
 * shared by several processes (one that can `watch`), it follows the changes the others make
 * (register-reconciler.ts, registry-follower.ts): within a second of a suspension or rotation
 * anywhere, every process refuses the old secret and emits `sensor-revoked` as for its own.
 * Emits `changed` after a sensor or zone entry changed in memory, by this process or another
 * (heard through the follower), so what is derived from the register (the SensorThings
 * catalogue) can be rebuilt; tokens and credentials are not part of the public register.
 */
export interface RegistryEvents {
  'sensor-revoked': [sensorId: string]
  changed: [change: RegisterChange]
}

export interface RegisterChange { table: 'sensors' | 'zones', id: string }

export interface TokenPrincipal {
  tokenId: string
  name: string
  role: Role
}

export interface RegistryOptions {
  /** `ADMIN_TOKEN`: always accepted as an admin token named `bootstrap`. */
  bootstrapAdminToken?: string | undefined
  now?: () => Date
  /** A change of another process that could not be applied; a full reload follows, retried with backoff. */
  onSyncError?: (err: unknown) => void
}

const TOKEN_PREFIX = 'sst_'
const BOOTSTRAP = 'bootstrap'

export class Registry extends EventEmitter<RegistryEvents> {
  readonly kinds: KindCatalog
  readonly #store: RegistryStore
  readonly #now: () => Date
  readonly #sensors = new Map<string, Sensor>()
  readonly #zones = new Map<string, Zone>()
  readonly #secretHashes = new Map<string, string>()
  readonly #tokens = new Map<string, ApiToken>()
  /** Ids being registered: claimed before the first await, so a concurrent duplicate is a conflict. */
  readonly #registering = new Set<string>()
  readonly #verified = new VerifiedSecretCache()
  readonly #bootstrapToken: string | undefined
  /** Applies every entry written, here or by another process, to the maps above. */
  readonly #reconciler: RegisterReconciler
  #follower: RegistryFollower | undefined
  #unwatch: (() => void) | undefined

  private constructor (store: RegistryStore, kinds: KindCatalog, options: RegistryOptions) {
    super()
    this.#store = store
    this.kinds = kinds
    this.#now = options.now ?? (() => new Date())
    this.#bootstrapToken = options.bootstrapAdminToken
    // Kept as a digest and compared in constant time like every other secret.
    if (options.bootstrapAdminToken !== undefined) this.#verified.remember(BOOTSTRAP, options.bootstrapAdminToken)
    this.#reconciler = new ReportingReconciler(store, (change) => this.emit('changed', change), {
      sensors: this.#sensors,
      secretHashes: this.#secretHashes,
      zones: this.#zones,
      tokens: this.#tokens,
      verified: this.#verified,
      revoked: (id) => this.emit('sensor-revoked', id)
    })
  }

  static async open (store: RegistryStore, kinds: KindCatalog, options: RegistryOptions = {}): Promise<Registry> {
    const registry = new Registry(store, kinds, options)
    const snapshot = await store.load()
    for (const sensor of snapshot.sensors) registry.#sensors.set(sensor.id, sensor)
    for (const zone of snapshot.zones) registry.#zones.set(zone.id, zone)
    for (const credential of snapshot.credentials) registry.#secretHashes.set(credential.sensorId, credential.secretHash)
    for (const token of snapshot.tokens) registry.#tokens.set(token.id, token)
    if (store.watch !== undefined && store.get !== undefined) {
      const follower = new RegistryFollower(registry.#reconciler, options.onSyncError ?? (() => {}))
      registry.#follower = follower
      // The store reports `reload` once it listens, which covers changes made since `load`.
      registry.#unwatch = store.watch((change) => follower.push(change))
    }
    return registry
  }

  /** Stops following other processes' changes; the store is closed by whoever opened it. */
  async close (): Promise<void> {
    this.#unwatch?.()
    this.#unwatch = undefined
    await this.#follower?.close()
  }

  // --- sensors ---

  listSensors (): Sensor[] {
    return [...this.#sensors.values()].sort((a, b) => a.id.localeCompare(b.id))
  }

  getSensor (id: string): Sensor | undefined {
    return this.#sensors.get(id)
  }

  requireSensor (id: string): Sensor {
    const sensor = this.#sensors.get(id)
    if (sensor === undefined) throw new SensorstadError('REGISTRY_ERR_NOT_FOUND', `No sensor ${id}`, 'id')
    return sensor
  }

  /** Registers a sensor and returns its MQTT secret; the secret is never retrievable again. */
  async registerSensor (registration: SensorRegistration): Promise<{ sensor: Sensor, secret: string }> {
    const kind = this.kinds.get(registration.kind)
    if (kind === undefined) {
      throw new SensorstadError('REGISTRY_ERR_UNKNOWN_KIND', `Unknown kind ${registration.kind}; known kinds: ${[...this.kinds.keys()].join(', ')}`, 'kind')
    }
    if (registration.zoneId !== undefined && !this.#zones.has(registration.zoneId)) {
      throw new SensorstadError('REGISTRY_ERR_UNKNOWN_ZONE', `No zone ${registration.zoneId}; create it first with POST /v1/admin/zones`, 'zoneId')
    }
    if (kind.id === 'crowd' && registration.zoneId === undefined) {
      throw new SensorstadError('REGISTRY_ERR_INCOMPLETE', 'A crowd monitor counts people in one zone: give zoneId', 'zoneId')
    }
    if (kind.placement === 'fixed' && registration.location === undefined && registration.zoneId === undefined) {
      throw new SensorstadError('REGISTRY_ERR_INCOMPLETE', `A fixed ${kind.id} sensor needs a location or a zoneId, so residents can see where it is`, 'location')
    }
    if (kind.placement === 'mobile' && registration.location !== undefined) {
      throw new SensorstadError('REGISTRY_ERR_INCOMPLETE', `A mobile ${kind.id} sensor has no fixed location; leave location out`, 'location')
    }
    if (registration.retentionDays !== undefined && registration.retentionDays > kind.retentionDays) {
      throw new SensorstadError('REGISTRY_ERR_INCOMPLETE', `retentionDays may be at most ${kind.retentionDays} for kind ${kind.id}`, 'retentionDays')
    }
    const id = registration.id ?? `${kind.id}-${randomBytes(6).toString('hex')}`
    // Client ids with this prefix are anonymous readers of open data on the broker.
    if (id.startsWith('open-')) throw new SensorstadError('REGISTRY_ERR_CONFLICT', 'Sensor ids may not start with "open-": that prefix is for anonymous MQTT readers', 'id')
    if (this.#sensors.has(id) || this.#registering.has(id)) throw new SensorstadError('REGISTRY_ERR_CONFLICT', `Sensor ${id} already exists`, 'id')
    this.#registering.add(id)
    try {
      const now = this.#now().toISOString()
      const sensor: Sensor = {
        ...registration,
        id,
        retentionDays: registration.retentionDays ?? kind.retentionDays,
        status: 'active',
        createdAt: now,
        updatedAt: now
      }
      const secret = newSecret()
      const secretHash = await hashSecret(secret)
      await this.#exclusive(async () => {
        // Another process may have registered the id while scrypt ran.
        if (this.#sensors.has(id)) throw new SensorstadError('REGISTRY_ERR_CONFLICT', `Sensor ${id} already exists`, 'id')
        await this.#store.putCredential({ sensorId: id, secretHash, rotatedAt: now })
        await this.#store.putSensor(sensor)
        this.#reconciler.applyCredential(id, secretHash)
        this.#reconciler.applySensor(id, sensor)
      })
      return { sensor, secret }
    } finally {
      this.#registering.delete(id)
    }
  }

  /** Suspending an active sensor refuses its secret at once and closes its connections. */
  async setSensorStatus (id: string, status: Sensor['status']): Promise<Sensor> {
    return this.#exclusive(async () => {
      const sensor = { ...this.requireSensor(id), status, updatedAt: this.#now().toISOString() }
      await this.#store.putSensor(sensor)
      this.#reconciler.applySensor(id, sensor)
      return sensor
    })
  }

  /** A new secret; the old one stops working at once and open connections are closed. */
  async rotateSecret (id: string): Promise<string> {
    this.requireSensor(id)
    const secret = newSecret()
    const secretHash = await hashSecret(secret)
    await this.#exclusive(async () => {
      this.requireSensor(id)
      await this.#store.putCredential({ sensorId: id, secretHash, rotatedAt: this.#now().toISOString() })
      this.#reconciler.applyCredential(id, secretHash)
    })
    return secret
  }

  /** The active sensor with this id and secret, or undefined. Constant time in the secret. */
  async authenticateSensor (id: string, secret: string): Promise<Sensor | undefined> {
    const sensor = this.#sensors.get(id)
    const hash = this.#secretHashes.get(id)
    if (sensor === undefined || hash === undefined || sensor.status !== 'active') return undefined
    // Keyed by the stored hash, which changes with every rotation: a verified secret is
    // remembered for exactly the credential it verified against.
    if (this.#verified.matches(hash, secret)) return sensor
    if (!await this.#verified.once(hash, secret, () => verifySecret(secret, hash))) return undefined
    // Re-read: the sensor may have been suspended or rotated while scrypt ran.
    if (this.#secretHashes.get(id) !== hash || this.#sensors.get(id)?.status !== 'active') return undefined
    this.#verified.remember(hash, secret)
    return this.#sensors.get(id)
  }

  // --- zones ---

  listZones (): Zone[] {
    return [...this.#zones.values()].sort((a, b) => a.id.localeCompare(b.id))
  }

  getZone (id: string): Zone | undefined {
    return this.#zones.get(id)
  }

  async putZone (input: ZoneInput): Promise<{ zone: Zone, created: boolean }> {
    return this.#exclusive(async () => {
      const existing = this.#zones.get(input.id)
      const now = this.#now().toISOString()
      const zone: Zone = {
        ...input,
        areaM2: input.areaM2 ?? Math.round(polygonAreaM2(input.geometry) * 10) / 10,
        createdAt: existing?.createdAt ?? now,
        updatedAt: now
      }
      await this.#store.putZone(zone)
      this.#reconciler.applyZone(zone.id, zone)
      return { zone, created: existing === undefined }
    })
  }

  // --- API tokens ---

  hasAdminToken (): boolean {
    return this.#bootstrapToken !== undefined || [...this.#tokens.values()].some((t) => t.role === 'admin' && t.revokedAt === undefined)
  }

  /** Issues a bearer token `sst_<id>_<secret>`; only its hash is kept. */
  async createToken (role: Role, name: string): Promise<{ token: string, record: ApiToken }> {
    const id = randomBytes(6).toString('hex')
    const secret = newSecret()
    const record: ApiToken = { id, name, role, secretHash: await hashSecret(secret), createdAt: this.#now().toISOString() }
    await this.#exclusive(async () => {
      await this.#store.putToken(record)
      this.#reconciler.applyToken(id, record)
    })
    return { token: `${TOKEN_PREFIX}${id}_${secret}`, record }
  }

  async authenticateToken (token: string): Promise<TokenPrincipal | undefined> {
    if (this.#bootstrapToken !== undefined && this.#verified.matches(BOOTSTRAP, token)) {
      return { tokenId: BOOTSTRAP, name: BOOTSTRAP, role: 'admin' }
    }
    const match = /^sst_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/.exec(token)
    if (match === null) return undefined
    const [, id, secret] = match as unknown as [string, string, string]
    const record = this.#tokens.get(id)
    if (record === undefined || record.revokedAt !== undefined) return undefined
    const cacheKey = `token:${id}`
    if (!this.#verified.matches(cacheKey, secret)) {
      if (!await verifySecret(secret, record.secretHash)) return undefined
      this.#verified.remember(cacheKey, secret)
    }
    return { tokenId: id, name: record.name, role: record.role }
  }

  // --- following other processes ---

  /**
   * Runs a local write and its in-memory update between the re-reads of other processes'
   * changes, never during one: a re-read that began before our write committed could
   * otherwise land after it and bring back the entry as it was.
   */
  #exclusive<T> (write: () => Promise<T>): Promise<T> {
    return this.#follower === undefined ? write() : this.#follower.exclusive(write)
  }
}

/**
 * The reconciler through which every change of the in-memory register passes (own writes,
 * re-reads and reloads alike), reporting the sensor and zone entries that differ afterwards.
 * An entry heard back unchanged from the store reports nothing.
 */
class ReportingReconciler extends RegisterReconciler {
  readonly #maps: RegisterMaps
  readonly #changed: (change: RegisterChange) => void

  constructor (store: RegistryStore, changed: (change: RegisterChange) => void, maps: RegisterMaps) {
    super(store, maps)
    this.#maps = maps
    this.#changed = changed
  }

  override applySensor (id: string, sensor: Sensor | undefined): void {
    const before = this.#maps.sensors.get(id)
    super.applySensor(id, sensor)
    if (!isDeepStrictEqual(before, sensor)) this.#changed({ table: 'sensors', id })
  }

  override applyZone (id: string, zone: Zone | undefined): void {
    const before = this.#maps.zones.get(id)
    super.applyZone(id, zone)
    if (!isDeepStrictEqual(before, zone)) this.#changed({ table: 'zones', id })
  }
}

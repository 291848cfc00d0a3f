import type { RegistryStore, RegistryTable } from '../core/ports/registry-store.js'
import type { ApiToken, Sensor, Zone } from '../core/sensor.js'
import type { FollowerTarget } from './registry-follower.js'
import type { VerifiedSecretCache } from './secrets.js'

/**
 * Applies an entry as stored to the registry's in-memory register: the registry's own writes,
 * and, re-read from the store, the changes of other processes, so both have the same
 * effects. A sensor that stops being active, or whose stored hash changes (a rotation), loses
 * its cached verification and is reported revoked, once, so the broker closes its connection.
 * Applying an entry that is already in memory changes nothing, so a process's own writes,
 * heard back from the store, are harmless.
 */
export interface RegisterMaps {
  sensors: Map<string, Sensor>
  /** Sensor id to stored secret hash. */
  secretHashes: Map<string, string>
  zones: Map<string, Zone>
  tokens: Map<string, ApiToken>
  /** Keyed by stored hash for sensors, `token:<id>` for tokens. */
  verified: VerifiedSecretCache
  revoked: (sensorId: string) => void
}

export class RegisterReconciler implements FollowerTarget {
  readonly #store: RegistryStore
  readonly #maps: RegisterMaps

  constructor (store: RegistryStore, maps: RegisterMaps) {
    this.#store = store
    this.#maps = maps
  }

  /**
   * One row re-read, rather than the whole register reloaded: a batch of a thousand
   * registrations elsewhere then costs each process a thousand small reads, not a thousand
   * loads of the whole register.
   */
  async refresh (table: RegistryTable, id: string): Promise<void> {
    const get = this.#store.get?.bind(this.#store)
    if (get === undefined) throw new TypeError('following a store needs its get()')
    switch (table) {
      case 'sensors': return this.applySensor(id, await get('sensors', id))
      case 'credentials': return this.applyCredential(id, (await get('credentials', id))?.secretHash)
      case 'zones': return this.applyZone(id, await get('zones', id))
      case 'tokens': return this.applyToken(id, await get('tokens', id))
    }
  }

  /** After notifications may have been lost: every entry in line with the store, removals included. */
  async resync (): Promise<void> {
    const snapshot = await this.#store.load()
    const { sensors, secretHashes, zones, tokens } = this.#maps
    reconcile(sensors, snapshot.sensors.map((s) => [s.id, s]), (id, sensor) => this.applySensor(id, sensor))
    reconcile(secretHashes, snapshot.credentials.map((c) => [c.sensorId, c.secretHash]), (id, hash) => this.applyCredential(id, hash))
    reconcile(zones, snapshot.zones.map((z) => [z.id, z]), (id, zone) => this.applyZone(id, zone))
    reconcile(tokens, snapshot.tokens.map((t) => [t.id, t]), (id, token) => this.applyToken(id, token))
  }

  applySensor (id: string, sensor: Sensor | undefined): void {
    const { sensors, secretHashes, verified, revoked } = this.#maps
    const previous = sensors.get(id)
    set(sensors, id, sensor)
    if (previous?.status === 'active' && sensor?.status !== 'active') {
      const hash = secretHashes.get(id)
      if (hash !== undefined) verified.forget(hash)
      revoked(id)
    }
  }

  applyCredential (id: string, hash: string | undefined): void {
    const { secretHashes, verified, revoked } = this.#maps
    const previous = secretHashes.get(id)
    if (previous === hash) return
    set(secretHashes, id, hash)
    // A sensor's first credential revokes nothing: nothing could connect without it.
    if (previous !== undefined) {
      verified.forget(previous)
      revoked(id)
    }
  }

  applyZone (id: string, zone: Zone | undefined): void {
    set(this.#maps.zones, id, zone)
  }

  /** A revoked token is refused by its record; a changed hash must also drop the cached secret. */
  applyToken (id: string, token: ApiToken | undefined): void {
    const { tokens, verified } = this.#maps
    const previous = tokens.get(id)
    set(tokens, id, token)
    if (previous?.secretHash !== token?.secretHash) verified.forget(`token:${id}`)
  }
}

function set<T> (map: Map<string, T>, id: string, value: T | undefined): void {
  if (value === undefined) map.delete(id)
  else map.set(id, value)
}

/** Applies `entries` over `current` id by id, and `undefined` for the ids `current` has and they lack. */
function reconcile<T> (current: Map<string, unknown>, entries: Array<[string, T]>, apply: (id: string, entry: T | undefined) => void): void {
  const next = new Map(entries)
  for (const id of new Set([...current.keys(), ...next.keys()])) apply(id, next.get(id))
}

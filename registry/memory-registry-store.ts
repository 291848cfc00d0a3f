import type { RegistryRows, RegistrySnapshot, RegistryStore, RegistryTable } from '../core/ports/registry-store.js'
import type { ApiToken, Sensor, SensorCredential, Zone } from '../core/sensor.js'

/** The reference implementation of the registry port: in memory, gone at exit. */
export class MemoryRegistryStore implements RegistryStore {
  readonly #tables: { [T in RegistryTable]: Map<string, RegistryRows[T]> } = {
    sensors: new Map(),
    zones: new Map(),
    credentials: new Map(),
    tokens: new Map()
  }

  async load (): Promise<RegistrySnapshot> {
    return {
      sensors: [...this.#tables.sensors.values()].map((s) => structuredClone(s)),
      zones: [...this.#tables.zones.values()].map((z) => structuredClone(z)),
      credentials: [...this.#tables.credentials.values()].map((c) => structuredClone(c)),
      tokens: [...this.#tables.tokens.values()].map((t) => structuredClone(t))
    }
  }

  async putSensor (sensor: Sensor): Promise<void> { this.#tables.sensors.set(sensor.id, structuredClone(sensor)) }
  async putCredential (credential: SensorCredential): Promise<void> { this.#tables.credentials.set(credential.sensorId, structuredClone(credential)) }
  async putZone (zone: Zone): Promise<void> { this.#tables.zones.set(zone.id, structuredClone(zone)) }
  async putToken (token: ApiToken): Promise<void> { this.#tables.tokens.set(token.id, structuredClone(token)) }

  async get<T extends RegistryTable> (table: T, id: string): Promise<RegistryRows[T] | undefined> {
    const entry = (this.#tables[table] as Map<string, RegistryRows[T]>).get(id)
    return entry === undefined ? undefined : structuredClone(entry)
  }

  async close (): Promise<void> {}
}

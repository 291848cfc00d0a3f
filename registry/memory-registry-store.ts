import type { RegistrySnapshot, RegistryStore } from '../core/ports/registry-store.js'
import type { ApiToken, Sensor, SensorCredential, Zone } from '../core/sensor.js'

/** The reference implementation of the registry port: in memory, gone at exit. */
export class MemoryRegistryStore implements RegistryStore {
  readonly #sensors = new Map<string, Sensor>()
  readonly #zones = new Map<string, Zone>()
  readonly #credentials = new Map<string, SensorCredential>()
  readonly #tokens = new Map<string, ApiToken>()

  async load (): Promise<RegistrySnapshot> {
    return {
      sensors: [...this.#sensors.values()].map((s) => structuredClone(s)),
      zones: [...this.#zones.values()].map((z) => structuredClone(z)),
      credentials: [...this.#credentials.values()].map((c) => structuredClone(c)),
      tokens: [...this.#tokens.values()].map((t) => structuredClone(t))
    }
  }

  async putSensor (sensor: Sensor): Promise<void> { this.#sensors.set(sensor.id, structuredClone(sensor)) }
  async putCredential (credential: SensorCredential): Promise<void> { this.#credentials.set(credential.sensorId, structuredClone(credential)) }
  async putZone (zone: Zone): Promise<void> { this.#zones.set(zone.id, structuredClone(zone)) }
  async putToken (token: ApiToken): Promise<void> { this.#tokens.set(token.id, structuredClone(token)) }
  async close (): Promise<void> {}
}

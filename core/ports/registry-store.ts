import type { ApiToken, Sensor, SensorCredential, Zone } from '../sensor.js'

/**
 * Persistence of the register. The register is small (thousands of rows) and read on every
 * connect, so the registry service keeps it in memory and writes through this port;
 * `load` returns everything at start. Every implementation passes
 * `test/registry/registry-store.conformance.ts`.
 */
export interface RegistrySnapshot {
  sensors: Sensor[]
  zones: Zone[]
  credentials: SensorCredential[]
  tokens: ApiToken[]
}

export interface RegistryStore {
  load (): Promise<RegistrySnapshot>
  /** Insert or replace by id; durable when the promise resolves. */
  putSensor (sensor: Sensor): Promise<void>
  putCredential (credential: SensorCredential): Promise<void>
  putZone (zone: Zone): Promise<void>
  putToken (token: ApiToken): Promise<void>
  close (): Promise<void>
}

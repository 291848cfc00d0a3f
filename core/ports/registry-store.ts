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

/** The four kinds of entry, by the name of the table each lives in. */
export interface RegistryRows {
  sensors: Sensor
  zones: Zone
  /** Keyed by `sensorId`. */
  credentials: SensorCredential
  tokens: ApiToken
}
export type RegistryTable = keyof RegistryRows

/**
 * What a watching store reports: one entry changed (written or removed, by any process), or
 * `reload`: changes may have gone unheard (before the watch began listening, or while its
 * connection was down), so everything must be read again. Never carries the entry itself,
 * so a secret hash never travels in a notification.
 */
export type RegistryChange =
  | { type: 'changed', table: RegistryTable, id: string }
  | { type: 'reload' }

export interface RegistryStore {
  load (): Promise<RegistrySnapshot>
  /** Insert or replace by id; durable when the promise resolves. */
  putSensor (sensor: Sensor): Promise<void>
  putCredential (credential: SensorCredential): Promise<void>
  putZone (zone: Zone): Promise<void>
  putToken (token: ApiToken): Promise<void>
  /** One entry as last stored, or undefined; optional, needed by `watch`ers to re-read a change. */
  get? <T extends RegistryTable>(table: T, id: string): Promise<RegistryRows[T] | undefined>
  /**
   * Stores shared by several processes: calls `listener` after every committed change made
   * by any process, this one included, and with `reload` once listening starts and after
   * every reconnect. Returns the function that stops the watch. Stores that implement it
   * implement `get` too.
   */
  watch? (listener: (change: RegistryChange) => void): () => void
  close (): Promise<void>
}

import type { Sensor } from '../sensor.js'

/**
 * What the broker needs of the register: authenticate a connecting sensor and look one up.
 * The registry service implements it; the broker never sees how it is stored.
 */
export interface SensorDirectory {
  /** The active sensor with this id and secret, or undefined. */
  authenticateSensor (id: string, secret: string): Promise<Sensor | undefined>
  getSensor (id: string): Sensor | undefined
}

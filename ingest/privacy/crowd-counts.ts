import { isWithinActivePeriods } from '../../core/active-periods.js'
import { SensorstadError } from '../../core/errors.js'
import type { KindPrivacy } from '../../core/kind.js'
import type { Reading } from '../../core/reading.js'
import type { Zone } from '../../core/sensor.js'

/**
 * Privacy rule 4, crowd counts only: a count of people in the sensor's zone, never more
 * than the zone can hold, and only while the zone is registered as active. The schema has
 * already made it a non-negative integer and refused every other field.
 */
export function checkCounts (readings: readonly Reading[], zone: Zone | undefined, counts: NonNullable<KindPrivacy['counts']>): void {
  if (zone === undefined) throw new SensorstadError('INGEST_ERR_SENSOR', 'A crowd monitor must belong to a registered zone')
  for (const reading of readings) {
    if (reading.field !== counts.field) continue
    if (zone.capacity !== undefined && reading.value > zone.capacity) {
      throw new SensorstadError('INGEST_ERR_OUT_OF_RANGE', `${counts.field} is above the capacity of zone ${zone.id} (${zone.capacity})`, counts.field)
    }
    if (zone.activePeriods !== undefined && !isWithinActivePeriods(zone.activePeriods, reading.time)) {
      throw new SensorstadError('INGEST_ERR_INACTIVE_PERIOD', `Zone ${zone.id} is not counted at this time; see its activePeriods in the register`)
    }
  }
}

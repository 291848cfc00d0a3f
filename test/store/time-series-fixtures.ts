import type { Aggregate, Reading } from '../../core/reading.js'
import type { Window } from '../../core/windows.js'

/** Times and builders shared by the parts of the time-series conformance suite. */
// 2024-03-10T00:00:00Z: a UTC midnight, so the 1d window starts here.
export const T0 = Date.UTC(2024, 2, 10)
export const MIN = 60_000
export const HOUR = 60 * MIN
export const DAY = 24 * HOUR

export const reading = (sensorId: string, field: string, time: number, value: number, kind = 'air'): Reading =>
  ({ sensorId, kind, field, time, value })

export const agg = (window: Window, start: number, count: number, sum: number, min: number, max: number, over: Partial<Aggregate> = {}): Aggregate =>
  ({ sensorId: 's1', kind: 'air', field: 'pm25', window, start, count, sum, min, max, ...over })

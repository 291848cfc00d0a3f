/**
 * Monitors gone quiet (issue #5): a zone whose monitors stopped reporting must say "no
 * signal", or an empty-looking zone would be mistaken for a quiet one. A monitor is silent
 * when its last report is more than `expectedIntervalMs * graceFactor` old; the grace lets
 * one late or lost message pass. A monitor that never reported is silent too, for the same
 * reason. Returns the silent ids sorted, so callers can compare runs.
 *
 * `lastReports` maps monitor id to the time of its last report (ms), undefined when it never
 * reported. A report ahead of `now` (device clock skew) counts as fresh. Exactly at the limit
 * is not yet silent.
 */
export function silentSensors (lastReports: ReadonlyMap<string, number | undefined>, now: number, expectedIntervalMs: number, graceFactor = 2): string[] {
  if (!Number.isFinite(now)) throw new RangeError(`now must be a finite time, got ${now}`)
  if (!(Number.isFinite(expectedIntervalMs) && expectedIntervalMs > 0)) throw new RangeError(`expectedIntervalMs must be positive, got ${expectedIntervalMs}`)
  if (!(Number.isFinite(graceFactor) && graceFactor > 0)) throw new RangeError(`graceFactor must be positive, got ${graceFactor}`)
  const limit = expectedIntervalMs * graceFactor
  const silent: string[] = []
  for (const [id, last] of lastReports) {
    // A time that is not a number tells nothing about the monitor being alive: treat as never reported.
    if (last === undefined || !Number.isFinite(last) || now - last > limit) silent.push(id)
  }
  return silent.sort()
}

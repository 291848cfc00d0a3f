/** One SenML record (RFC 8428 section 4): name, unit from the section 12.1 registry, numeric value. */
export interface SenmlRecord {
  n: string
  u: string
  v: number
}

/**
 * A SenML JSON pack (RFC 8428 section 5) with the base name `{sensorId}:` and the base time,
 * in epoch seconds with millisecond decimals (section 4.5.3), on the first record.
 */
export function senmlPack (sensorId: string, timeMs: number, records: readonly SenmlRecord[]): string {
  const bt = Math.round(timeMs) / 1000
  return JSON.stringify(records.map((record, i) => i === 0 ? { bn: `${sensorId}:`, bt, ...record } : record))
}

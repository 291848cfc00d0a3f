/**
 * A decoder turns the bytes of one MQTT message into groups of field values that share a
 * time. It knows the wire format, not the kind: whether the fields are declared, typed and in
 * range is the validator's job (ingest/validate.ts).
 */
export interface DecodedGroup {
  /** Epoch milliseconds; `undefined` means "now", the time the message was received. */
  time: number | undefined
  /** Field name to value. Null-prototype object: keys come from the payload. */
  values: Record<string, unknown>
  /** Field name to the unit the sensor stated for it (SenML `u` or `bu`); absent if none. */
  units: Record<string, string>
}

/**
 * Decodes one payload. `now` is the receive time in epoch milliseconds, used for relative
 * times. No two returned groups resolve to the same time (`time ?? now`), and no field appears
 * twice in a group. Throws SensorstadError with an `INGEST_ERR_*` code; messages never repeat
 * payload content beyond a field name.
 */
export type Decoder = (payload: Buffer, now: number) => DecodedGroup[]

/** Largest time value ECMAScript dates can hold, ms either side of the epoch (ECMA-262 section 21.4.1.1). */
export const MAX_TIME_MS = 8.64e15

/** Whether `ms` is a whole number of milliseconds that a Date can hold. */
export function isTimeMs (ms: number): boolean {
  return Number.isSafeInteger(ms) && Math.abs(ms) <= MAX_TIME_MS
}

import type { ErrorCode } from '../core/errors.js'
import type { KindDefinition } from '../core/kind.js'

/** What check-thread.ts and check-worker.ts say to each other. */
export interface CheckWorkerData {
  kinds: KindDefinition[]
  maxFutureS: number
}

/** Messages to check, in order: payload i is `payloads[ends[i-1] .. ends[i])`. */
export interface CheckBatch {
  payloads: ArrayBuffer
  ends: Int32Array
  now: Float64Array
  sensorIds: string[]
  kinds: string[]
  channels: string[]
}

/**
 * Per message, its number of readings (-1: refused, the reason in `errors`); the readings of
 * all messages in order, as an index into their kind's fields, a time and a value.
 */
export interface CheckResults {
  counts: Int32Array
  fields: Uint16Array
  times: Float64Array
  values: Float64Array
  errors: Array<{ i: number, code: ErrorCode, message: string, field?: string } | { i: number, internal: string }>
}

import { alertAckSchema, alertEventSchema, type AlertEvent } from '../core/alerts.js'
import { SensorstadError } from '../core/errors.js'
import type { AlertQuery } from '../core/ports/alert-store.js'

/**
 * What both alert stores share, so the memory reference and DuckDB read a query, an id and
 * an event alike: the conformance suite can then hold them to the same answers.
 */

/** Events a list returns when the query names no `limit` (the port's documented default). */
export const DEFAULT_ALERT_LIMIT = 100

export type NewAlertEvent = Omit<AlertEvent, 'id'>
export type AlertAck = NonNullable<AlertEvent['ack']>

export interface AlertBounds {
  zoneId: string | undefined
  /** Numeric, so "10" comes after "9". */
  afterId: number | undefined
  since: number | undefined
  ascending: boolean
  limit: number
}

const newEventSchema = alertEventSchema.omit({ id: true })

/**
 * Rejects a query no caller should send, rather than guess: a Last-Event-ID that is not one
 * of ours must not silently replay every event, nor none.
 */
export function alertBounds (query: AlertQuery): AlertBounds {
  const { zoneId, afterId, since, ascending, limit = DEFAULT_ALERT_LIMIT } = query
  if (afterId !== undefined && !/^\d+$/.test(afterId)) {
    throw new SensorstadError('API_ERR_VALIDATION', 'afterId must be an event id (digits only)', 'afterId')
  }
  if (since !== undefined && !Number.isFinite(since)) {
    throw new SensorstadError('API_ERR_VALIDATION', 'since must be a finite epoch ms', 'since')
  }
  if (!Number.isInteger(limit) || limit < 0) {
    throw new SensorstadError('API_ERR_VALIDATION', 'limit must be a whole number of at least 0', 'limit')
  }
  return {
    zoneId,
    // Ids are issued one by one from 1, so none exceeds 2^53 (that would take 9e15 events): a
    // longer afterId is past every id, and the clamp keeps it a number DuckDB can bind.
    afterId: afterId === undefined ? undefined : Math.min(Number(afterId), Number.MAX_SAFE_INTEGER),
    since,
    ascending: ascending ?? false,
    limit
  }
}

/** Retention's cut-off; NaN would delete nothing in one store and throw in the other. */
export function checkedBefore (before: number): number {
  if (!Number.isFinite(before)) throw new SensorstadError('API_ERR_VALIDATION', 'before must be a finite epoch ms', 'before')
  return before
}

/**
 * The number of an id as issued ("1", "2", ...), or undefined for any other string: "01" or
 * " 1" name no event, whatever their numeric value.
 */
export function eventNumber (id: string): number | undefined {
  if (!/^[1-9]\d{0,15}$/.test(id)) return undefined
  const n = Number(id)
  return Number.isSafeInteger(n) ? n : undefined
}

/**
 * A checked deep copy of an event to store, holding only the schema's fields (the schema is
 * the allowlist, STYLE.md habit 3), with its time in epoch ms for `since` and retention.
 */
export function checkedEvent (event: NewAlertEvent): { event: NewAlertEvent, timeMs: number } {
  const parsed = newEventSchema.safeParse(event)
  if (!parsed.success) throw rejected('event', parsed.error.issues[0])
  // Date.parse keeps whole ms of a finer fraction, as Reading times do.
  return { event: parsed.data, timeMs: Date.parse(parsed.data.time) }
}

export function checkedAck (ack: AlertAck): AlertAck {
  const parsed = alertAckSchema.safeParse(ack)
  if (!parsed.success) throw rejected('acknowledgement', parsed.error.issues[0])
  return parsed.data
}

function rejected (what: string, issue: { path: PropertyKey[], message: string } | undefined): SensorstadError {
  const field = issue?.path.map(String).join('.')
  return new SensorstadError('STORE_ERR_REJECTED', `The alert store refused the ${what}: ${field ?? ''} ${issue?.message ?? ''}`.trim(), field)
}
